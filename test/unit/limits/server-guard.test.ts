import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBreaker } from '../../../supervisor/limits/breaker.ts';
import { createGlobalLimiter, type GlobalLimiter } from '../../../supervisor/limits/global-limiter.ts';
import {
  createServerGuard,
  resolveServerLimits,
  type ServerGuard,
  type ServerGuardLimits,
} from '../../../supervisor/limits/server-guard.ts';
import { isSupervisorError, SupervisorError } from '../../../supervisor/shared/errors.ts';
import { refusalError, refusalOf } from '../../../supervisor/shared/refusals.ts';
import { type Deferred, deferred, rejectionOf, settle, until } from './helpers.ts';

const BASE_LIMITS: ServerGuardLimits = { maxConcurrent: 50, queueSize: 100, requestTimeoutMs: 30_000 };

const disposables: { dispose(): Promise<void> }[] = [];

function makeGlobal(maxTotalConcurrent = 500): GlobalLimiter {
  const global = createGlobalLimiter({ maxTotalConcurrent });
  disposables.push(global);
  return global;
}

function makeGuard(
  limits: Partial<ServerGuardLimits> = {},
  extra: { perClientConcurrent?: number; global?: GlobalLimiter; server?: string } = {},
): ServerGuard {
  const guard = createServerGuard({
    server: extra.server ?? 'alpha',
    limits: { ...BASE_LIMITS, ...limits },
    perClientConcurrent: extra.perClientConcurrent ?? 100,
    global: extra.global ?? makeGlobal(),
  });
  // Guards before the global limiter: dispose in reverse order of creation.
  disposables.unshift(guard);
  return guard;
}

/** Tracks how many tasks are inside their body at once, each held open until released. */
function gatedTasks() {
  let inFlight = 0;
  let maxInFlight = 0;
  const gates: Deferred<void>[] = [];
  const started: string[] = [];
  return {
    task(label = '') {
      return async (_signal: AbortSignal) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        started.push(label);
        const gate = deferred();
        gates.push(gate);
        try {
          await gate.promise;
          return label;
        } finally {
          inFlight--;
        }
      };
    },
    releaseAll() {
      for (const gate of gates.splice(0)) gate.resolve();
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    started,
  };
}

afterEach(async () => {
  vi.useRealTimers();
  for (const disposable of disposables.splice(0)) await disposable.dispose();
});

describe('createServerGuard', () => {
  it('honours the per-server concurrency cap and queues the rest', async () => {
    const guard = makeGuard({ maxConcurrent: 3 });
    const tasks = gatedTasks();
    const runs = Array.from({ length: 10 }, (_, i) => guard.run(tasks.task(`t${i}`), { clientKey: 'c' }));
    await until(() => tasks.inFlight === 3);
    await settle();
    expect(tasks.inFlight).toBe(3);
    expect(guard.stats()).toMatchObject({ running: 3, queued: 7, maxConcurrent: 3, effectiveConcurrent: 3 });
    while (tasks.started.length < 10) {
      tasks.releaseAll();
      await settle(20);
    }
    tasks.releaseAll();
    expect(await Promise.all(runs)).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}`));
    expect(tasks.maxInFlight).toBe(3);
    expect(guard.stats()).toMatchObject({ running: 0, queued: 0 });
  });

  it('caps each client key separately', async () => {
    const guard = makeGuard({ maxConcurrent: 10 }, { perClientConcurrent: 2 });
    const a = gatedTasks();
    const b = gatedTasks();
    const runs = [
      ...Array.from({ length: 5 }, () => guard.run(a.task(), { clientKey: 'a' })),
      ...Array.from({ length: 3 }, () => guard.run(b.task(), { clientKey: 'b' })),
    ];
    await until(() => a.inFlight === 2 && b.inFlight === 2);
    await settle();
    expect([a.inFlight, b.inFlight]).toEqual([2, 2]);
    expect(guard.stats()).toMatchObject({ running: 4, queued: 4 });
    while (a.started.length < 5 || b.started.length < 3) {
      a.releaseAll();
      b.releaseAll();
      await settle(20);
    }
    a.releaseAll();
    b.releaseAll();
    await Promise.all(runs);
    expect([a.maxInFlight, b.maxInFlight]).toEqual([2, 2]);
  });

  it('caps all servers together with the global limiter', async () => {
    const global = makeGlobal(3);
    const one = makeGuard({ maxConcurrent: 5 }, { global, server: 'one' });
    const two = makeGuard({ maxConcurrent: 5 }, { global, server: 'two' });
    const tasks = gatedTasks();
    const runs = Array.from({ length: 8 }, (_, i) =>
      (i % 2 ? one : two).run(tasks.task(), { clientKey: 'c' }),
    );
    await until(() => tasks.inFlight === 3);
    await settle();
    expect(tasks.inFlight).toBe(3);
    expect(global.stats()).toMatchObject({ running: 3, maxConcurrent: 3 });
    while (tasks.started.length < 8) {
      tasks.releaseAll();
      await settle(20);
    }
    tasks.releaseAll();
    await Promise.all(runs);
    expect(tasks.maxInFlight).toBe(3);
  });

  it('refuses with queue_full when the queue is at queueSize', async () => {
    const guard = makeGuard({ maxConcurrent: 1, queueSize: 1 });
    const tasks = gatedTasks();
    const first = guard.run(tasks.task('first'), { clientKey: 'c' });
    const second = guard.run(tasks.task('second'), { clientKey: 'c' });
    await until(() => tasks.inFlight === 1 && guard.stats().queued === 1);
    let hasThirdRun = false;
    const error = await rejectionOf(
      guard.run(
        async () => {
          hasThirdRun = true;
        },
        { clientKey: 'c' },
      ),
    );
    expect(isSupervisorError(error, 'QUEUE_FULL')).toBe(true);
    const refusal = refusalOf(error);
    expect(refusal).toMatchObject({ reason: 'queue_full', server: 'alpha' });
    expect(refusal?.retryAfterMs).toBeGreaterThan(0);
    tasks.releaseAll();
    await until(() => tasks.started.length === 2);
    tasks.releaseAll();
    expect(await Promise.all([first, second])).toEqual(['first', 'second']);
    expect(hasThirdRun).toBe(false);
  });

  it('with queueSize 0 refuses as soon as every slot is taken', async () => {
    const guard = makeGuard({ maxConcurrent: 1, queueSize: 0 });
    const tasks = gatedTasks();
    const first = guard.run(tasks.task('first'), { clientKey: 'c' });
    await until(() => tasks.inFlight === 1);
    const error = await rejectionOf(guard.run(async () => 'second', { clientKey: 'c' }));
    expect(refusalOf(error)?.reason).toBe('queue_full');
    tasks.releaseAll();
    expect(await first).toBe('first');
  });

  it('refuses with rate_limited once the burst is spent, and admits again after a refill', async () => {
    // Only the refill clock is faked (Bottleneck's heartbeat interval and Date).
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const guard = makeGuard({ requestsPerMinute: 60, burst: 2 });
    expect(await guard.run(async () => 1, { clientKey: 'c' })).toBe(1);
    expect(await guard.run(async () => 2, { clientKey: 'c' })).toBe(2);
    let hasRun = false;
    const error = await rejectionOf(
      guard.run(
        async () => {
          hasRun = true;
        },
        { clientKey: 'c' },
      ),
    );
    expect(hasRun).toBe(false);
    expect(isSupervisorError(error, 'RATE_LIMITED')).toBe(true);
    const refusal = refusalOf(error);
    expect(refusal?.reason).toBe('rate_limited');
    // One token per second at 60/min: the wait is about a second, never a minute.
    expect(refusal?.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(refusal?.retryAfterMs).toBeLessThan(2_000);
    await vi.advanceTimersByTimeAsync(refusal?.retryAfterMs ?? 0);
    expect(await guard.run(async () => 3, { clientKey: 'c' })).toBe(3);
    expect(refusalOf(await rejectionOf(guard.run(async () => 4, { clientKey: 'c' })))?.reason).toBe(
      'rate_limited',
    );
  });

  it('removes a queued request when its caller aborts; the task never runs', async () => {
    const guard = makeGuard({ maxConcurrent: 1 });
    const tasks = gatedTasks();
    const first = guard.run(tasks.task('first'), { clientKey: 'c' });
    await until(() => tasks.inFlight === 1);
    const caller = new AbortController();
    let hasAbortedRun = false;
    const aborted = guard.run(
      async () => {
        hasAbortedRun = true;
      },
      { clientKey: 'c', signal: caller.signal },
    );
    const third = guard.run(tasks.task('third'), { clientKey: 'c' });
    await until(() => guard.stats().queued === 2);
    caller.abort();
    const error = await rejectionOf(aborted);
    expect((error as Error).name).toBe('AbortError');
    expect(guard.stats().queued).toBe(1);
    tasks.releaseAll();
    await until(() => tasks.started.length === 2);
    tasks.releaseAll();
    expect(await Promise.all([first, third])).toEqual(['first', 'third']);
    expect(hasAbortedRun).toBe(false);
  });

  it('aborts a running task when its caller aborts, without counting it against the server', async () => {
    const breaker = createBreaker({ server: 'alpha', consecutiveFailures: 1 });
    const guard = createServerGuard({ server: 'alpha', limits: BASE_LIMITS, global: makeGlobal(), breaker });
    disposables.unshift(guard);
    const caller = new AbortController();
    let taskSignal: AbortSignal | undefined;
    const run = guard.run(
      (signal) => {
        taskSignal = signal;
        return new Promise<never>(() => {});
      },
      { clientKey: 'c', signal: caller.signal },
    );
    await until(() => taskSignal !== undefined);
    caller.abort(new Error('client went away'));
    expect(((await rejectionOf(run)) as Error).message).toBe('client went away');
    expect(taskSignal?.aborted).toBe(true);
    expect(breaker.state()).toBe('closed');
    expect(guard.stats().running).toBe(0);
  });

  it('opens the circuit after transport failures, refuses, then half-opens and closes', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const breaker = createBreaker({ server: 'alpha', consecutiveFailures: 2, halfOpenAfterMs: 10_000 });
    const states: string[] = [];
    breaker.onStateChange((state) => states.push(state));
    const guard = createServerGuard({ server: 'alpha', limits: BASE_LIMITS, global: makeGlobal(), breaker });
    disposables.unshift(guard);
    const transportFailure = async () => {
      throw new Error('read ECONNRESET');
    };
    for (let i = 0; i < 2; i++) {
      expect(((await rejectionOf(guard.run(transportFailure, { clientKey: 'c' }))) as Error).message).toBe(
        'read ECONNRESET',
      );
    }
    expect(guard.stats().breaker).toBe('open');
    let calls = 0;
    const refused = await rejectionOf(
      guard.run(
        async () => {
          calls++;
        },
        { clientKey: 'c' },
      ),
    );
    expect(isSupervisorError(refused, 'CIRCUIT_OPEN')).toBe(true);
    const refusal = refusalOf(refused);
    expect(refusal?.reason).toBe('circuit_open');
    expect(refusal?.retryAfterMs).toBeGreaterThan(0);
    expect(refusal?.retryAfterMs).toBeLessThanOrEqual(10_000);
    expect(calls).toBe(0);

    vi.setSystemTime(Date.now() + 10_000);
    const probeGate = deferred();
    const probe = guard.run(
      async () => {
        calls++;
        await probeGate.promise;
        return 'probe ok';
      },
      { clientKey: 'c' },
    );
    await until(() => calls === 1);
    expect(guard.stats().breaker).toBe('half-open');
    // One probe at a time: others are refused while it is out.
    expect(refusalOf(await rejectionOf(guard.run(async () => 'other', { clientKey: 'c' })))?.reason).toBe(
      'circuit_open',
    );
    probeGate.resolve();
    expect(await probe).toBe('probe ok');
    expect(guard.stats().breaker).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('does not trip the breaker on tool errors (JSON-RPC error answers) but does on timeouts', async () => {
    const breaker = createBreaker({ server: 'alpha', consecutiveFailures: 2 });
    const guard = createServerGuard({ server: 'alpha', limits: BASE_LIMITS, global: makeGlobal(), breaker });
    disposables.unshift(guard);
    const toolError = Object.assign(new Error('MCP error -32602: unknown tool'), { code: -32602 });
    for (let i = 0; i < 5; i++) {
      const error = await rejectionOf(
        guard.run(
          async () => {
            throw toolError;
          },
          { clientKey: 'c' },
        ),
      );
      expect(error).toBe(toolError);
    }
    expect(breaker.state()).toBe('closed');
    // The task times itself, as the request channel does, and rejects with the TIMEOUT refusal.
    const timedOut = () =>
      Promise.reject(
        refusalError({ reason: 'timeout', server: 'alpha', retryAfterMs: 0 }, 'no answer in time'),
      );
    for (let i = 0; i < 2; i++) {
      expect(refusalOf(await rejectionOf(guard.run(timedOut, { clientKey: 'c' })))?.reason).toBe('timeout');
    }
    expect(breaker.state()).toBe('open');
  });

  it('dispose answers queued and running requests with server_unavailable', async () => {
    const guard = makeGuard({ maxConcurrent: 1 });
    let runningSignal: AbortSignal | undefined;
    const running = guard.run(
      (signal) => {
        runningSignal = signal;
        return new Promise<never>(() => {});
      },
      { clientKey: 'c' },
    );
    const queued = [1, 2, 3].map(() => guard.run(async () => 'never', { clientKey: 'c' }));
    await until(() => guard.stats().queued === 3 && runningSignal !== undefined);
    const outcomes = Promise.all([running, ...queued].map(rejectionOf));
    await guard.dispose();
    const errors = await outcomes;
    for (const error of errors) {
      expect(isSupervisorError(error, 'SERVER_UNAVAILABLE')).toBe(true);
      expect(refusalOf(error)?.reason).toBe('server_unavailable');
    }
    expect(runningSignal?.aborted).toBe(true);
    expect(guard.stats()).toMatchObject({ running: 0, queued: 0 });
    const late = await rejectionOf(guard.run(async () => 'late', { clientKey: 'c' }));
    expect(refusalOf(late)?.reason).toBe('server_unavailable');
  });

  it('setConcurrencyScale() scales the effective concurrency', async () => {
    const guard = makeGuard({ maxConcurrent: 4 });
    await guard.setConcurrencyScale(0.5);
    const tasks = gatedTasks();
    const runs = Array.from({ length: 4 }, () => guard.run(tasks.task(), { clientKey: 'c' }));
    await until(() => tasks.inFlight === 2);
    await settle();
    expect(guard.stats()).toMatchObject({ maxConcurrent: 4, effectiveConcurrent: 2, running: 2, queued: 2 });
    await guard.setConcurrencyScale(1);
    await until(() => tasks.inFlight === 4);
    tasks.releaseAll();
    await Promise.all(runs);
    await expect(guard.setConcurrencyScale(0)).rejects.toThrow(/concurrency scale/);
  });

  it('rejects bad limits at construction, naming the option', () => {
    expect(() => makeGuard({ maxConcurrent: 0 })).toThrow(/limits\.maxConcurrent/);
    expect(() => makeGuard({ queueSize: -1 })).toThrow(/limits\.queueSize/);
    expect(() => makeGuard({ requestsPerMinute: 1.5 })).toThrow(/limits\.requestsPerMinute/);
  });

  it('resolveServerLimits() lays server overrides over the supervisor defaults', () => {
    const defaults = {
      maxConcurrentPerServer: 50,
      maxConcurrentPerClient: 10,
      maxTotalConcurrent: 500,
      queueSize: 1000,
      requestTimeoutMs: 30_000,
      adaptive: true,
    };
    expect(resolveServerLimits(defaults, { maxConcurrent: 5, requestsPerMinute: 120 })).toEqual({
      maxConcurrent: 5,
      requestsPerMinute: 120,
      burst: undefined,
      queueSize: 1000,
      requestTimeoutMs: 30_000,
    });
  });

  it('passes task results and errors through unchanged', async () => {
    const guard = makeGuard();
    expect(await guard.run(async () => ({ content: [], isError: true }), { clientKey: 'c' })).toEqual({
      content: [],
      isError: true,
    });
    const boom = new SupervisorError('INTERNAL', 'boom');
    expect(
      await rejectionOf(
        guard.run(
          () => {
            throw boom;
          },
          { clientKey: 'c' },
        ),
      ),
    ).toBe(boom);
  });
});
