/**
 * The supervisor run in-process (`runSupervisor`, as the CLI's `start` does) with two stdio servers
 * and one Streamable HTTP server it starts from a command: each answers `tools/list` and
 * `tools/call` through its one upstream client; servers see only their own env; nothing is left
 * after the stop.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { runSupervisor } from '../../../supervisor/boot/run.ts';
import { UpstreamRpcError } from '../../../supervisor/shared/upstream-error.ts';
import {
  cleanupTempHomes,
  describeProcesses,
  freePort,
  processesUnder,
  tempHome,
  testServers,
  waitFor,
} from '../../helpers/index.ts';

afterAll(async () => {
  await cleanupTempHomes();
});

function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((item) => item.text ?? '').join('');
}

describe('upstream clients (in-process supervisor, real PM2 and servers)', () => {
  it('two stdio servers and one Streamable HTTP server answer tools/list and tools/call', async () => {
    const home = await tempHome();
    const port = await freePort();
    const config = {
      mcpServers: {
        everything: testServers.everythingStdio(home.path, 'everything', { MCPS_VISIBLE: 'from-config' }),
        memory: testServers.memory(home.path, 'memory'),
        web: testServers.everythingHttp(home.path, 'web', port),
      },
      supervisor: { port: 0 },
    };
    await writeFile(home.paths.configFile, JSON.stringify(config));
    // A secret in the supervisor's own environment, which no server may inherit.
    process.env.MCPS_SECRET = 's3cret';
    const running = await runSupervisor({
      paths: home.paths,
      logToStdout: false,
      env: { ...process.env, MCPS_SECRET: 's3cret' },
    });
    try {
      await waitFor(
        async () => {
          const rows = await running.core.status();
          return rows.length === 3 && rows.every((row) => row.state === 'online') ? rows : undefined;
        },
        { what: 'all three servers online', timeoutMs: 45_000 },
      );
      const rows = await running.core.status();
      expect(rows.map((r) => `${r.name}:${r.kind}`).sort()).toEqual([
        'everything:stdio',
        'memory:stdio',
        'web:http',
      ]);
      for (const row of rows) expect(row.toolCount, row.name).toBeGreaterThan(0);

      for (const name of ['everything', 'web']) {
        const client = running.core.server(name).upstream.client;
        expect(client, name).toBeDefined();
        const { tools } = await client!.listTools();
        expect(tools.map((t) => t.name)).toContain('echo');
        const echoed = await client!.callTool({ name: 'echo', arguments: { message: `hello ${name}` } });
        expect(textOf(echoed)).toContain(`hello ${name}`);
      }

      // The forwarding channel beside the client, over the FIFO pair and over Streamable
      // HTTP: answers unchanged, the server's own errors kept, progress routed to its request.
      for (const name of ['everything', 'web']) {
        const channel = running.core.server(name).upstream.channel;
        expect(channel, name).toBeDefined();
        const echoed = await channel!.request(
          'tools/call',
          { name: 'echo', arguments: { message: `via channel ${name}` } },
          { timeoutMs: 10_000 },
        );
        expect(textOf(echoed)).toContain(`via channel ${name}`);
        const unknown = await channel!.request('no/such-method', {}, { timeoutMs: 10_000 }).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(unknown, name).toBeInstanceOf(UpstreamRpcError);
        expect((unknown as UpstreamRpcError).code, name).toBe(-32601);
        const progress: unknown[] = [];
        const done = await channel!.request(
          'tools/call',
          { name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
          { timeoutMs: 10_000, onProgress: (step) => progress.push(step.progress) },
        );
        expect(textOf(done), name).toMatch(/Long running operation completed/);
        expect(progress, name).toEqual([1, 2, 3]);
        expect(channel!.pendingCount, name).toBe(0);
      }

      const memory = running.core.server('memory').upstream.client!;
      const { tools } = await memory.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['create_entities', 'read_graph']));
      await memory.callTool({
        name: 'create_entities',
        arguments: { entities: [{ name: 'probe', entityType: 'test', observations: ['seen'] }] },
      });
      const graph = await memory.callTool({ name: 'read_graph', arguments: {} });
      expect(textOf(graph)).toContain('probe');

      // An HTTP server run from a command writes its stdout to its log, through PM2.
      const webLog = await readFile(running.core.server('web').outLogFile, 'utf8');
      expect(webLog).toContain('Starting Streamable HTTP server...');
      expect(webLog).toContain('Received MCP POST request');

      // Env isolation, seen from inside the server.
      const env = textOf(
        await running.core.server('everything').upstream.client!.callTool({ name: 'get-env', arguments: {} }),
      );
      expect(env).toContain('from-config');
      expect(env).not.toContain('MCPS_SECRET');
      expect(env).not.toContain('s3cret');
    } finally {
      delete process.env.MCPS_SECRET;
      await running.stop('test done');
    }
    const left = processesUnder(home.path);
    expect(left, describeProcesses(left)).toHaveLength(0);
  });
});
