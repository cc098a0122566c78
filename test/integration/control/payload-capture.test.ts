/**
 * Opt-in payload capture through a real supervisor: arguments and results reach the request log
 * redacted (secret-looking keys and the configured ones) and bounded in bytes; errors keep their
 * message and code.
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleServers, mcpSession } from '../../e2e/fixtures/index.ts';
import {
  cleanupTempHomes,
  type SupervisorProcess,
  startSupervisorProcess,
  tempHome,
} from '../../helpers/index.ts';

let supervisor: SupervisorProcess;
let home: string;

const configWith = (capture: object) => ({
  mcpServers: { chatty: consoleServers.chatty(home, 'chatty') },
  supervisor: { gateway: { auth: 'none' }, capture },
});

beforeAll(async () => {
  home = (await tempHome()).path;
  supervisor = await startSupervisorProcess({
    home,
    config: configWith({ payloads: true, maxBytes: 300, redactKeys: ['pin'] }),
  });
});

afterAll(async () => {
  await supervisor?.stop();
  await cleanupTempHomes();
});

interface Row {
  tool: string | null;
  status: string;
  params: string | null;
  result: string | null;
}

describe('payload capture (real supervisor process)', () => {
  it('stores arguments and results redacted and bounded, and errors with their message', async () => {
    const session = await mcpSession(supervisor.port, 'chatty');
    await session.callTool('say', { text: 'hello', password: 'hunter2', pin: '1234' });
    await session.callTool('say', { text: 'x'.repeat(2_000) });
    await session.callTool('fail', { message: 'broken on purpose' });
    const { rows } = await supervisor.client.request<{ rows: Row[] }>(
      'GET',
      '/api/requests?server=chatty&method=tools/call&since=10m',
    );
    const [failed, long, said] = rows;
    const params = JSON.parse(said?.params ?? '{}') as { name: string; arguments: Record<string, string> };
    expect(params).toEqual({
      name: 'say',
      arguments: { text: 'hello', password: '[redacted]', pin: '[redacted]' },
    });
    expect(JSON.parse(said?.result ?? '{}')).toEqual({ content: [{ type: 'text', text: 'said' }] });
    expect(long?.params).toMatch(/…\[truncated \d+ bytes\]$/);
    expect(Buffer.byteLength(long?.params?.slice(0, long.params.indexOf('…')) ?? '')).toBeLessThanOrEqual(
      300,
    );
    expect(failed?.status).toBe('error');
    expect(JSON.parse(failed?.result ?? '{}')).toMatchObject({
      error: { message: expect.stringContaining('broken on purpose') },
    });
    expect(JSON.stringify(rows)).not.toContain('hunter2');
  });

  it('applies a reload of supervisor.capture to the next request, without a restart', async () => {
    const session = await mcpSession(supervisor.port, 'chatty');
    const lastCall = async () =>
      (
        await supervisor.client.request<{ rows: Row[] }>(
          'GET',
          '/api/requests?server=chatty&method=tools/call&limit=1',
        )
      ).rows[0];
    const reload = async (capture: object) => {
      await writeFile(supervisor.paths.configFile, JSON.stringify(configWith(capture), null, 2));
      return supervisor.client.request<{ result: { changed: string[] } }>('POST', '/api/reload');
    };

    const off = await reload({ payloads: false });
    // Only supervisor settings changed: the server keeps running.
    expect(off.result.changed).toEqual([]);
    await session.callTool('say', { text: 'quiet' });
    expect(await lastCall()).toMatchObject({ tool: 'say', params: null, result: null });

    await reload({ payloads: true, maxBytes: 300, redactKeys: ['text'] });
    await session.callTool('say', { text: 'loud' });
    const row = await lastCall();
    expect(JSON.parse(row?.params ?? '{}')).toEqual({ name: 'say', arguments: { text: '[redacted]' } });
  });
});
