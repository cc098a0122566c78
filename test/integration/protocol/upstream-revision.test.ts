/**
 * Upstream revision detection against real servers: server-everything (SDK v1, 2025 only) and the
 * dual-era fixture (SDK v2), over stdio and Streamable HTTP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, describe, expect, it } from 'vitest';
import { detectUpstreamRevision } from '../../../supervisor/protocol/upstream-revision.ts';
import { freePort, SERVER_EVERYTHING, waitFor } from '../../helpers/index.ts';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/dual-era-server.ts');
const CLIENT = { name: 'revision-test', version: '1.0.0' };
const children: ChildProcess[] = [];

/** A custom stdio-shaped transport probes in place (no sibling spawn), as the bridge socket will. */
class InPlaceStdio extends StdioClientTransport {}

async function httpServer(args: string[]): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}/mcp`;
  await waitFor(
    async () => ((await fetch(url, { method: 'GET' }).catch(() => undefined)) ? true : undefined),
    {
      timeoutMs: 20_000,
      what: `${args.join(' ')} listening`,
    },
  );
  return url;
}

afterAll(() => {
  for (const child of children) child.kill('SIGTERM');
});

describe('detectUpstreamRevision', () => {
  it('speaks 2026-07-28 to the v2 fixture over stdio, in place, and tools work', async () => {
    const transport = new InPlaceStdio({
      command: process.execPath,
      args: [FIXTURE, 'stdio'],
      stderr: 'ignore',
    });
    const detected = await detectUpstreamRevision(transport, { clientInfo: CLIENT });
    try {
      expect(detected).toMatchObject({
        era: 'modern',
        revision: '2026-07-28',
        serverInfo: { name: 'dual-era-fixture' },
      });
      expect(detected.supportedVersions).toContain('2026-07-28');
      const result = await detected.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
      expect(result.content).toEqual([{ type: 'text', text: '5' }]);
    } finally {
      await detected.client.close();
    }
  });

  it('falls back to the 2025 handshake with server-everything (SDK v1) over stdio', async () => {
    const transport = new InPlaceStdio({
      command: process.execPath,
      args: [SERVER_EVERYTHING, 'stdio'],
      stderr: 'ignore',
    });
    const detected = await detectUpstreamRevision(transport, { clientInfo: CLIENT, probeTimeoutMs: 3_000 });
    try {
      expect(detected).toMatchObject({ era: 'legacy', revision: '2025-11-25', supportedVersions: undefined });
      expect(detected.serverInfo?.name).toContain('everything');
      const tools = await detected.client.listTools();
      expect(tools.tools.length).toBe(13);
    } finally {
      await detected.client.close();
    }
  });

  it('speaks 2026-07-28 to the v2 fixture over Streamable HTTP', async () => {
    const url = await httpServer([FIXTURE, 'http']);
    const detected = await detectUpstreamRevision(new StreamableHTTPClientTransport(new URL(url)), {
      clientInfo: CLIENT,
    });
    try {
      expect(detected).toMatchObject({ era: 'modern', revision: '2026-07-28' });
      const result = await detected.client.callTool({ name: 'echo', arguments: { text: 'hi' } });
      expect(result.content).toEqual([{ type: 'text', text: 'hi' }]);
    } finally {
      await detected.client.close();
    }
  });

  it('falls back to 2025 with server-everything over Streamable HTTP, declaring the gateway capabilities', async () => {
    const url = await httpServer([SERVER_EVERYTHING, 'streamableHttp']);
    const detected = await detectUpstreamRevision(new StreamableHTTPClientTransport(new URL(url)), {
      clientInfo: CLIENT,
      capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
    });
    try {
      expect(detected).toMatchObject({ era: 'legacy', revision: '2025-11-25' });
      expect((await detected.client.listTools()).tools.length).toBe(16);
    } finally {
      await detected.client.close();
    }
  });
});
