import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookNotifier, type WebhookNotifier } from '../../../supervisor/alerts/webhook.ts';

interface Received {
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

/** A local receiver answering with the given statuses in turn (then 200); `delayMs` stalls each answer. */
async function receiver(statuses: number[] = [], delayMs = 0) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      received.push({ body: JSON.parse(body), headers: req.headers });
      const status = statuses.shift() ?? 200;
      setTimeout(() => res.writeHead(status).end('ok'), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  servers.push(server);
  return { url: `http://127.0.0.1:${port}/hook`, received };
}

const servers: http.Server[] = [];
const notifiers: WebhookNotifier[] = [];
afterEach(async () => {
  for (const notifier of notifiers.splice(0)) await notifier.stop();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function notifier(options: Parameters<typeof createWebhookNotifier>[0]) {
  const created = createWebhookNotifier({ backoffMs: 10, ...options });
  notifiers.push(created);
  return created;
}

describe('webhook notifier', () => {
  it('posts each event as JSON, in order, with the configured headers', async () => {
    const { url, received } = await receiver();
    const hook = notifier({ url, headers: { authorization: 'Bearer t' } });
    hook.send({ type: 'alert.fired', n: 1 });
    hook.send({ type: 'alert.resolved', n: 2 });
    await hook.onIdle();
    expect(received.map((r) => r.body)).toEqual([
      { type: 'alert.fired', n: 1 },
      { type: 'alert.resolved', n: 2 },
    ]);
    expect(received[0]!.headers['content-type']).toBe('application/json');
    expect(received[0]!.headers.authorization).toBe('Bearer t');
    expect(hook.stats()).toEqual({ sent: 2, failed: 0, dropped: 0, queued: 0 });
  });

  it('retries a 5xx with backoff and gives up after three attempts, logging instead of throwing', async () => {
    const { url, received } = await receiver([500, 503, 500, 500]);
    const warnings: unknown[] = [];
    const hook = notifier({
      url,
      logger: { debug() {}, info() {}, error() {}, warn: (obj) => warnings.push(obj) },
    });
    hook.send({ n: 1 });
    hook.send({ n: 2 });
    await hook.onIdle();
    // n=1: 500, 503, 500 → failed; n=2: 500, then 200.
    expect(received.map((r) => (r.body as { n: number }).n)).toEqual([1, 1, 1, 2, 2]);
    expect(hook.stats()).toMatchObject({ sent: 1, failed: 1 });
    expect(warnings).toHaveLength(4);
  });

  it('does not retry a 4xx', async () => {
    const { url, received } = await receiver([400]);
    const hook = notifier({ url });
    hook.send({ n: 1 });
    await hook.onIdle();
    expect(received).toHaveLength(1);
    expect(hook.stats()).toMatchObject({ sent: 0, failed: 1 });
  });

  it('times out a stalled receiver, never blocks the caller, and bounds its queue', async () => {
    const { url, received } = await receiver([], 2_000);
    const hook = notifier({ url, timeoutMs: 100, attempts: 2, maxQueue: 2 });
    const startedAt = performance.now();
    for (let n = 1; n <= 5; n++) hook.send({ n });
    expect(performance.now() - startedAt).toBeLessThan(50);
    // n=1 is in flight; of 2..5 the queue keeps the two newest.
    expect(hook.stats()).toMatchObject({ dropped: 2, queued: 2 });
    await hook.onIdle();
    expect(hook.stats()).toMatchObject({ sent: 0, failed: 3, dropped: 2 });
    expect(received.map((r) => (r.body as { n: number }).n)).toEqual([1, 1, 4, 4, 5, 5]);
    expect(performance.now() - startedAt).toBeLessThan(1_500);
  });

  it('counts an unreachable receiver as failed', async () => {
    const hook = notifier({ url: 'http://127.0.0.1:9/hook', attempts: 2 });
    hook.send({ n: 1 });
    await hook.onIdle();
    expect(hook.stats()).toMatchObject({ failed: 1, sent: 0 });
  });
});
