import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlertEvent, ServerEvent } from '../../../app/supervisor-wire.ts';
import { electronState } from '../../helpers/electron-mock.ts';

vi.mock('electron', () => import('../../helpers/electron-mock.ts'));
const { EventFeed } = await import('../../../app/event-feed.ts');
const { setupNotifications } = await import('../../../app/notifications.ts');

/** A local SSE server; each connection runs `script` with a send function. */
let server: http.Server;
let url: string;
let connections = 0;
let script: (send: (event: string, data: unknown) => void, res: http.ServerResponse, n: number) => void;

beforeEach(async () => {
  electronState.reset();
  connections = 0;
  server = http.createServer((_req, res) => {
    connections++;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(': connected\n\n');
    script(
      (event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
      res,
      connections,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/events`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const alert = (id: number, notifiedAt: number): AlertEvent => ({
  type: 'alert.fired',
  isRepeat: false,
  alert: {
    id,
    key: 'host_cpu:host',
    rule: 'host_cpu',
    subject: 'host',
    severity: 'warning',
    value: 91,
    threshold: 80,
    message: 'host CPU at 91%',
    notifiedAt,
    suppressedCount: 0,
  },
});
const serverEvent: ServerEvent = { server: 'memory', kind: 'exit', state: 'restarting', at: 1, exitCode: 1 };

function feed(
  options: { onAlert?: (event: AlertEvent) => void; idleTimeoutMs?: number; warnings?: string[] } = {},
) {
  const alerts: AlertEvent[] = [];
  const servers: ServerEvent[] = [];
  let connected = 0;
  const instance = new EventFeed({
    open: (signal) => fetch(url, { signal }),
    onAlert: options.onAlert ?? ((event) => alerts.push(event)),
    onServer: (event) => servers.push(event),
    onConnected: () => connected++,
    minBackoffMs: 20,
    maxBackoffMs: 50,
    idleTimeoutMs: options.idleTimeoutMs ?? 10_000,
    log: { info: () => {}, warn: (message) => options.warnings?.push(message) },
  });
  return { instance, alerts, servers, connected: () => connected };
}

describe('event feed', () => {
  it('hands on validated alert and server events, skipping malformed ones', async () => {
    const warnings: string[] = [];
    script = (send) => {
      send('server', serverEvent);
      send('alert', { type: 'alert.fired', alert: { id: 'not a number' } });
      send('config', { ok: true });
      send('alert', alert(1, 100));
    };
    const { instance, alerts, servers } = feed({ warnings });
    instance.start();
    await vi.waitFor(() => expect(alerts).toHaveLength(1));
    instance.dispose();
    expect(servers).toEqual([serverEvent]);
    expect(alerts[0]?.alert.id).toBe(1);
    expect(warnings).toEqual([expect.stringMatching(/^skipped a malformed alert event/)]);
  });

  it('reconnects when the stream ends, and a replayed event makes no second notification', async () => {
    script = (send, res, n) => {
      // The first connection sends alert 1 and drops; the second replays it, then sends alert 2.
      send('alert', alert(1, 100));
      if (n === 1) res.end();
      else send('alert', alert(2, 200));
    };
    const notifier = setupNotifications({
      platform: 'linux',
      isPaused: () => false,
      context: async () => ({}),
      open: () => {},
      act: async () => {},
    });
    const { instance, connected } = feed({ onAlert: (event) => void notifier.alert(event) });
    instance.start();
    await vi.waitFor(() => expect(electronState.notifications).toHaveLength(2));
    instance.dispose();
    expect(connected()).toBe(2);
    expect(connections).toBe(2);
    expect(electronState.notifications.map((n) => n.options.title)).toEqual([
      'Warning: CPU high — host',
      'Warning: CPU high — host',
    ]);
  });

  it('drops a connection that went silent and opens a new one', async () => {
    script = (send, _res, n) => {
      if (n === 2) send('server', serverEvent);
      // Otherwise: connected, then nothing, never closed (a socket that died in a laptop's sleep).
    };
    const { instance, servers } = feed({ idleTimeoutMs: 150 });
    instance.start();
    await vi.waitFor(() => expect(servers).toHaveLength(1));
    instance.dispose();
    expect(connections).toBeGreaterThanOrEqual(2);
  });

  it('retries while the supervisor is unreachable, and at once when told it is up', async () => {
    let isUp = false;
    script = (send) => send('server', serverEvent);
    const servers: ServerEvent[] = [];
    const instance = new EventFeed({
      open: (signal) =>
        isUp ? fetch(url, { signal }) : Promise.reject(new Error('no supervisor is running')),
      onAlert: () => {},
      onServer: (event) => servers.push(event),
      minBackoffMs: 60_000,
      maxBackoffMs: 60_000,
    });
    instance.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    isUp = true;
    instance.reconnectNow();
    await vi.waitFor(() => expect(servers).toHaveLength(1));
    instance.dispose();
  });

  it('logs an outage once, not at every retry', async () => {
    const infos: string[] = [];
    let attempts = 0;
    const instance = new EventFeed({
      open: async () => {
        attempts++;
        throw new Error('no supervisor is running');
      },
      onAlert: () => {},
      onServer: () => {},
      minBackoffMs: 5,
      maxBackoffMs: 10,
      log: { info: (message) => infos.push(message), warn: () => {} },
    });
    instance.start();
    await vi.waitFor(() => expect(attempts).toBeGreaterThan(3));
    instance.dispose();
    expect(infos).toEqual(['event stream: no supervisor is running; retrying until it answers']);
  });

  it('refuses bad options by name', () => {
    expect(
      () =>
        new EventFeed({
          open: (signal) => fetch(url, { signal }),
          onAlert: () => {},
          onServer: () => {},
          idleTimeoutMs: 0,
        }),
    ).toThrow('idleTimeoutMs must be positive, got 0');
  });
});
