import { waitFor } from '../../helpers/paths.ts';
import { LeanMcpClient } from './mcp-http-client.ts';

/**
 * Resolves once an MCP session can be opened at `url` (a supervisor writes its state file before
 * its servers are up: this waits until the server behind the gateway has initialized).
 */
export async function waitUntilServing(url: string, what: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      const probe = new LeanMcpClient({ url, maxSockets: 1 });
      try {
        await probe.connect(AbortSignal.timeout(2_000));
        return true;
      } finally {
        await probe.close();
      }
    },
    { timeoutMs, what, intervalMs: 200 },
  );
}

/**
 * Resolves once `url` answers an `echo` tool call (with `headers`, e.g. a client key): initialize
 * alone is not enough, it succeeds while the upstream still lists its tools, and calls in that
 * window fail (and trip the breaker).
 */
export async function waitUntilEchoAnswers(
  url: string,
  headers: Record<string, string>,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(
    async () => {
      const probe = new LeanMcpClient({ url, maxSockets: 1, headers });
      try {
        await probe.connect(AbortSignal.timeout(2_000));
        const outcome = await probe.callTool('echo', { message: 'probe' }, AbortSignal.timeout(2_000));
        return outcome.kind === 'result' ? true : undefined;
      } finally {
        await probe.close();
      }
    },
    { timeoutMs, what, intervalMs: 200 },
  );
}
