import { readFile } from 'node:fs/promises';
import path from 'node:path';
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
 * Resolves once tool `tool` answers a call at `url` (with `headers`, e.g. a client key): an
 * `initialize` alone succeeds while the upstream still lists its tools, and calls in that window
 * fail (and trip the breaker).
 */
export async function waitUntilCallable(options: {
  url: string;
  tool: string;
  args: Record<string, unknown>;
  headers?: Record<string, string>;
  what: string;
  timeoutMs?: number;
}): Promise<void> {
  await waitFor(
    async () => {
      const probe = new LeanMcpClient({
        url: options.url,
        maxSockets: 1,
        ...(options.headers && { headers: options.headers }),
      });
      try {
        await probe.connect(AbortSignal.timeout(2_000));
        const outcome = await probe.callTool(options.tool, options.args, AbortSignal.timeout(2_000));
        return outcome.kind === 'result' ? true : undefined;
      } finally {
        await probe.close();
      }
    },
    { timeoutMs: options.timeoutMs ?? 60_000, what: options.what, intervalMs: 200 },
  );
}

/** A client key for a bench, created through the control API with the home's owner token. */
export async function createClientKey(home: string, port: number, name: string): Promise<string> {
  const token = (await readFile(path.join(home, 'control-token'), 'utf8')).trim();
  const response = await fetch(`http://127.0.0.1:${port}/api/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, servers: null }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as { token?: string };
  if (!response.ok || typeof body.token !== 'string') {
    throw new Error(`creating a client key answered HTTP ${response.status}: ${JSON.stringify(body)}`);
  }
  return body.token;
}
