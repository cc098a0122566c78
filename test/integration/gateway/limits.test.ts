/**
 * Refusals through the gateway of a real supervisor, each with its documented JSON-RPC code and
 * `data: { server, reason, retryAfterMs }`: queue overflow, rate limit, timeout (also cancelled
 * upstream) and an open circuit breaker (the server is not reached).
 */
import path from 'node:path';
import type { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFUSAL_JSONRPC_CODES } from '../../../supervisor/gateway/rpc-errors.ts';
import {
  type SupervisorProcess,
  serverRow,
  startSupervisorProcess,
  type TempHome,
  tempHome,
} from '../../helpers/index.ts';
import {
  type ConnectedClient,
  connectClient,
  markers,
  mcpErrorOf,
  mcpUrl,
  slowServer,
  stopAndCheck,
  waitForMarker,
  within,
} from './helpers.ts';

describe('gateway refusals (real supervisor, fixture servers)', () => {
  let home: TempHome;
  let supervisor: SupervisorProcess;
  const clients: ConnectedClient[] = [];
  const markerOf = (server: string) => path.join(home.path, `${server}.markers`);

  async function open(server: string | undefined) {
    const connected = await connectClient(mcpUrl(supervisor.port, server));
    clients.push(connected);
    return connected.client;
  }

  beforeAll(async () => {
    home = await tempHome();
    const fixture = (name: string, limits: object) =>
      slowServer(home.path, name, path.join(home.path, `${name}.markers`), { limits });
    supervisor = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: {
          queued: fixture('queued', { maxConcurrent: 1, queueSize: 1 }),
          rated: fixture('rated', { requestsPerMinute: 60, burst: 2 }),
          timed: fixture('timed', { requestTimeoutMs: 300 }),
          fragile: fixture('fragile', { requestTimeoutMs: 200 }),
        },
        supervisor: { gateway: { auth: 'none' } },
      },
    });
  });

  afterAll(async () => {
    for (const connected of clients) await connected.close();
    await stopAndCheck(supervisor, home);
  }, 120_000);

  it('the refusal codes are the documented ones', () => {
    expect(REFUSAL_JSONRPC_CODES).toEqual({
      queue_full: -32010,
      rate_limited: -32011,
      circuit_open: -32012,
      timeout: -32013,
      server_unavailable: -32014,
    });
  });

  it('queue overflow: maxConcurrent 1, queueSize 1, three slow calls at once → one queue_full', async () => {
    const client = await open('queued');
    const outcomes = await within(
      Promise.all(
        [1, 2, 3].map((n) =>
          client.callTool({ name: 'slow', arguments: { ms: 800, tag: `q${n}` } }).then(
            (result) => ({ ok: true as const, result }),
            (error: unknown) => ({ ok: false as const, error: error as McpError }),
          ),
        ),
      ),
      15_000,
      'three calls to a server with one slot and one queue place',
    );
    const refused = outcomes.flatMap((o) => (o.ok ? [] : [o.error]));
    expect(refused, JSON.stringify(outcomes)).toHaveLength(1);
    const [error] = refused;
    expect(error!.code).toBe(-32010);
    expect(error!.data).toMatchObject({ server: 'queued', reason: 'queue_full' });
    expect((error!.data as { retryAfterMs: number }).retryAfterMs).toBeGreaterThanOrEqual(0);
    // The refused call never reached the server; the other two ran one after the other.
    const started = (await markers(markerOf('queued'))).filter((line) => line.startsWith('start '));
    expect(started).toHaveLength(2);
  });

  it('rate limit: requestsPerMinute 60, burst 2 → the third immediate call is rate_limited', async () => {
    const client = await open('rated');
    const first = await client.callTool({ name: 'echo', arguments: { message: '1' } });
    const second = await client.callTool({ name: 'echo', arguments: { message: '2' } });
    expect(first.isError).toBeFalsy();
    expect(second.isError).toBeFalsy();
    const error = await mcpErrorOf(client.callTool({ name: 'echo', arguments: { message: '3' } }));
    expect(error.code).toBe(-32011);
    expect(error.data).toMatchObject({ server: 'rated', reason: 'rate_limited' });
    const { retryAfterMs } = error.data as { retryAfterMs: number };
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('a rate-limit refusal on the aggregated endpoint carries the same code and data', async () => {
    const client = await open(undefined);
    // The bucket of `rated` is still empty from the test before (one token per second refills).
    const outcomes: (McpError | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      outcomes.push(
        await client.callTool({ name: 'rated__echo', arguments: { message: `a${i}` } }).then(
          () => undefined,
          (error: unknown) => error as McpError,
        ),
      );
    }
    const refused = outcomes.filter((e) => e !== undefined);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.code).toBe(-32011);
    expect(refused[0]!.data).toMatchObject({ server: 'rated', reason: 'rate_limited' });
  });

  it('timeout: requestTimeoutMs 300 on the slow tool → timeout, and the server sees the cancellation', async () => {
    const client = await open('timed');
    const started = Date.now();
    const error = await within(
      mcpErrorOf(client.callTool({ name: 'slow', arguments: { ms: 10_000, tag: 't1' } })),
      5_000,
      'a call past its requestTimeoutMs',
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error.code).toBe(-32013);
    expect(error.data).toMatchObject({ server: 'timed', reason: 'timeout' });
    const lines = await waitForMarker(markerOf('timed'), 'cancelled t1');
    expect(lines).not.toContain('done t1');
  });

  it('open breaker: five timeouts in a row → the next call is circuit_open without reaching the server', async () => {
    const client = await open('fragile');
    for (let n = 1; n <= 5; n++) {
      const error = await within(
        mcpErrorOf(client.callTool({ name: 'slow', arguments: { ms: 10_000, tag: `b${n}` } })),
        5_000,
        `timed-out call ${n}`,
      );
      expect(error.code, `call ${n}`).toBe(-32013);
    }
    const before = (await markers(markerOf('fragile'))).filter((line) => line.startsWith('start ')).length;
    expect(before).toBe(5);

    const error = await mcpErrorOf(client.callTool({ name: 'slow', arguments: { ms: 10, tag: 'b6' } }));
    expect(error.code).toBe(-32012);
    expect(error.data).toMatchObject({ server: 'fragile', reason: 'circuit_open' });
    expect((error.data as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    // Give a call that did get through time to show up; none may.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await markers(markerOf('fragile'));
    expect(after).not.toContain('start b6');

    // The breaker's state is visible in the status.
    expect(serverRow(await supervisor.status(), 'fragile').breaker).toBe('open');
  });

  it('answers /health after the refusals', async () => {
    const response = await fetch(`http://127.0.0.1:${supervisor.port}/health`);
    expect(response.status).toBe(200);
  });
});
