import { describe, expect, it } from 'vitest';
import { isIdempotentMethod, retryIdempotent } from '../../../supervisor/limits/retry.ts';
import { SupervisorError } from '../../../supervisor/shared/errors.ts';
import { refusalError } from '../../../supervisor/shared/refusals.ts';
import { rejectionOf } from './helpers.ts';

const FAST = { initialDelayMs: 1, maxDelayMs: 2 };

describe('isIdempotentMethod', () => {
  it('accepts the list methods and ping only', () => {
    for (const method of [
      'tools/list',
      'prompts/list',
      'resources/list',
      'resources/templates/list',
      'ping',
    ]) {
      expect(isIdempotentMethod(method)).toBe(true);
    }
    for (const method of [
      'tools/call',
      'resources/read',
      'prompts/get',
      'initialize',
      'completion/complete',
    ]) {
      expect(isIdempotentMethod(method)).toBe(false);
    }
  });
});

describe('retryIdempotent', () => {
  it('retries an idempotent method after transport failures until it succeeds', async () => {
    const attempts: number[] = [];
    const result = await retryIdempotent(
      'tools/list',
      async (_signal, attempt) => {
        attempts.push(attempt);
        if (attempts.length < 3) throw new Error('socket hang up');
        return { tools: [] };
      },
      { ...FAST, maxRetries: 2 },
    );
    expect(result).toEqual({ tools: [] });
    expect(attempts).toEqual([0, 1, 2]);
  });

  it('gives up after maxRetries with the last error', async () => {
    let calls = 0;
    const error = await rejectionOf(
      retryIdempotent(
        'ping',
        async () => {
          calls++;
          throw new Error(`failure ${calls}`);
        },
        { ...FAST, maxRetries: 2 },
      ),
    );
    expect((error as Error).message).toBe('failure 3');
    expect(calls).toBe(3);
  });

  it('never retries a non-idempotent method', async () => {
    let calls = 0;
    await rejectionOf(
      retryIdempotent(
        'tools/call',
        async () => {
          calls++;
          throw new Error('socket hang up');
        },
        FAST,
      ),
    );
    expect(calls).toBe(1);
  });

  it('does not retry JSON-RPC error answers or refusals', async () => {
    const answers = [
      Object.assign(new Error('Method not found'), { code: -32601 }),
      refusalError({ reason: 'rate_limited', server: 's', retryAfterMs: 1000 }, 'rate limited'),
      new SupervisorError('QUEUE_FULL', 'queue full'),
    ];
    for (const answer of answers) {
      let calls = 0;
      const error = await rejectionOf(
        retryIdempotent(
          'tools/list',
          async () => {
            calls++;
            throw answer;
          },
          FAST,
        ),
      );
      expect(error).toBe(answer);
      expect(calls).toBe(1);
    }
  });

  it('stops at once when aborted during a backoff wait', async () => {
    const controller = new AbortController();
    let calls = 0;
    const run = retryIdempotent(
      'resources/list',
      async () => {
        calls++;
        queueMicrotask(() => controller.abort(new Error('caller left')));
        throw new Error('socket hang up');
      },
      { signal: controller.signal, initialDelayMs: 60_000, maxDelayMs: 60_000, maxRetries: 5 },
    );
    expect(((await rejectionOf(run)) as Error).message).toBe('caller left');
    expect(calls).toBe(1);
  });

  it('passes the signal to the attempt and rejects at once if already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    expect(
      ((await rejectionOf(retryIdempotent('ping', async () => 1, { signal: controller.signal }))) as Error)
        .message,
    ).toBe('gone');
    const seen = await retryIdempotent('ping', async (signal) => signal.aborted, FAST);
    expect(seen).toBe(false);
  });
});
