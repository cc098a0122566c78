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
