/**
 * Issue 9 item 3, against a real supervisor: 20 000 idle sockets of one local process (as many as
 * its descriptors allow) while `/health`, the control API and the CLI keep answering; bodies and
 * headers sent slowly; malformed %-encoding; `/health/detailed` without the token. The refusals
 * show in `/metrics`. Loopback only, bounded in sockets and time; the attacking child stops by
 * itself and is killed at the end if it has not.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runCli,
  type SupervisorProcess,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  waitFor,
} from '../../helpers/index.ts';
import { slowServer, stopAndCheck } from '../gateway/helpers.ts';
import { createKey, RawSession, timed } from './helpers.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const IDLE_SOCKETS = path.join(HERE, 'fixtures/idle-sockets.mjs');
const ATTACK_SOCKETS = 20_000;
const ATTACK_ATTEMPTS = 60_000;
const ATTACK_MS = 50_000;
/**
 * A cap the flood reaches within seconds even on a loaded machine (where the kernel lets a
 * single process's flood in at about a thousand connections a second); the default, derived from
 * the descriptor limit (8 192 here), is unit-tested in test/unit/http/connection-gate.test.ts.
 */
const MAX_CONNECTIONS = 1_000;
const RECEIVE_TIMEOUT_MS = 6_000;
/** Long enough that the flood reaches the connection limit before Node closes its sockets itself. */
const HEADERS_TIMEOUT_MS = 5_000;

/**
 * `/health` `count` times, `everyMs` apart; the latencies in ms (a failure fails the test).
 */
async function probeHealth(port: number, count: number, everyMs = 0): Promise<number[]> {
  const latencies: number[] = [];
  for (let n = 0; n < count; n++) {
    if (everyMs > 0) await new Promise((resolve) => setTimeout(resolve, everyMs));
    const { value, ms } = await timed(() =>
      fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(10_000) }),
    );
    expect(value.status).toBe(200);
    await value.text();
    latencies.push(ms);
  }
  return latencies;
}

function summary(latencies: number[]): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
  return `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms (n=${sorted.length})`;
}

/** Sends `head` raw, then `trickle` every `everyMs`; resolves with the reply once the server closes. */
function slowRequest(port: number, head: string, trickle: string, everyMs: number, giveUpMs: number) {
  return new Promise<{ status: number; ms: number }>((resolve) => {
    const startedAt = Date.now();
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', () => {});
    const timer = setInterval(() => socket.write(trickle), everyMs);
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), ms: Date.now() - startedAt });
    });
    socket.write(head);
  });
}

/** The value of one Prometheus sample line (0 when absent). */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}

describe('abuse: connection exhaustion and edges (real supervisor)', () => {
  let home: TempHome;
  let supervisor: SupervisorProcess;
  let attacker: ChildProcess | undefined;

  beforeAll(async () => {
    home = await tempHome();
    supervisor = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: { slow: slowServer(home.path, 'slow', path.join(home.path, 'slow.markers')) },
        supervisor: {
          gateway: {
            maxConnections: MAX_CONNECTIONS,
            receiveTimeoutMs: RECEIVE_TIMEOUT_MS,
            headersTimeoutMs: HEADERS_TIMEOUT_MS,
          },
        },
      },
    });
  });

  afterAll(async () => {
    attacker?.kill('SIGKILL');
    await stopAndCheck(supervisor, home);
  }, 120_000);

  it('20 000 idle sockets: /health, the control API and the CLI keep answering', async () => {
    const before = await probeHealth(supervisor.port, 20);
    const child = spawn(
      process.execPath,
      [
        IDLE_SOCKETS,
        String(supervisor.port),
        String(ATTACK_SOCKETS),
        String(ATTACK_ATTEMPTS),
        String(ATTACK_MS),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    attacker = child;
    let last = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      last = text.trim().split('\n').at(-1) ?? last;
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await waitFor(
      () => (/^ready/m.test(last) || /^progress.* attempts (\d{5})/.test(last) ? true : undefined),
      {
        timeoutMs: 30_000,
        what: 'the attacker to have opened its sockets',
        describeLast: () => last,
      },
    );

    // Probes over ~10 s of the attack, while the attacker reopens what is closed.
    const during = await probeHealth(supervisor.port, 30, 300);
    expect((await supervisor.status()).servers.map((s) => s.name)).toEqual(['slow']);
    const cli = await runCli(['status', '--json'], { home: home.path, timeoutMs: 30_000 });
    expect(cli.code, cli.stderr).toBe(0);
    const metrics = await (await fetch(`http://127.0.0.1:${supervisor.port}/metrics`)).text();
    const open = sample(metrics, 'mcp_supervisor_http_connections{kind="all"}');
    const evicted = sample(metrics, 'mcp_supervisor_http_connections_evicted_total');
    const attack = last;

    child.stdin!.end();
    const kill = setTimeout(() => child.kill('SIGTERM'), 5_000);
    await exited;
    clearTimeout(kill);
    attacker = undefined;
    const after = await probeHealth(supervisor.port, 20);
    console.log(
      [
        `/health before: ${summary(before)}`,
        `/health during: ${summary(during)}`,
        `/health after:  ${summary(after)}`,
        `attacker: ${attack}; supervisor: ${open} connections open, ${evicted} idle ones closed to make room`,
      ].join('\n'),
    );
    expect(evicted).toBeGreaterThan(0);
    expect(open).toBeLessThanOrEqual(MAX_CONNECTIONS + 32);
  }, 120_000);

  it('a body sent slowly gets 408 after receiveTimeoutMs, and is counted', async () => {
    // With a valid key, so that the gateway does wait for the body.
    const key = await createKey(supervisor, 'slow-sender');
    const head =
      `POST /mcp/slow HTTP/1.1\r\nHost: 127.0.0.1:${supervisor.port}\r\nAuthorization: Bearer ${key.token}\r\n` +
      'Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 100000\r\n\r\n{';
    const { status, ms } = await slowRequest(supervisor.port, head, ' ', 100, 15_000);
    expect(status).toBe(408);
    expect(ms).toBeLessThan(RECEIVE_TIMEOUT_MS + 3_000);
    const headers = `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${supervisor.port}\r\n`;
    const slowHeaders = await slowRequest(supervisor.port, headers, 'X-Slow: 1\r\n', 100, 15_000);
    expect(slowHeaders.status).toBe(408);
    expect(slowHeaders.ms).toBeLessThan(HEADERS_TIMEOUT_MS + 3_000);
    const metrics = await (await fetch(`http://127.0.0.1:${supervisor.port}/metrics`)).text();
    expect(sample(metrics, 'mcp_supervisor_http_refusals_total{reason="timeout"}')).toBeGreaterThanOrEqual(2);
  });

  it('an answer that takes longer than receiveTimeoutMs is not cut', async () => {
    const key = await createKey(supervisor, 'patient');
    const session = new RawSession(supervisor.port, 'slow', key.token);
    expect((await session.open()).status).toBe(200);
    const answer = await session.callTool('slow', { ms: RECEIVE_TIMEOUT_MS * 2, tag: 'long' });
    expect(answer.body?.result, answer.text).toMatchObject({ content: [{ type: 'text' }] });
    await session.close();
  });

  it('malformed %-encoding under /ui and /api is a 400', async () => {
    expect((await fetch(`http://127.0.0.1:${supervisor.port}/ui/%zz`)).status).toBe(400);
    const api = await supervisor.client.fetch('GET', '/api/servers/%E0%A4%A/logs');
    expect(api.status).toBe(400);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
  });

  it('/health/detailed needs the token; /health does not', async () => {
    const anonymous = await fetch(`http://127.0.0.1:${supervisor.port}/health/detailed`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain('slow');
    expect((await supervisor.client.fetch('GET', '/health/detailed')).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${supervisor.port}/health`)).status).toBe(200);
  });
});
