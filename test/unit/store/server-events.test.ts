import { describe, expect, it } from 'vitest';
import { toServerEventRow } from '../../../supervisor/store/server-events.ts';

describe('toServerEventRow', () => {
  it('keeps an exit with its code and signal, and a restart with its delay', () => {
    expect(
      toServerEventRow({ server: 'a', kind: 'exit', state: 'online', at: 5, exitCode: 1, signal: 'SIGKILL' }),
    ).toEqual({
      ts: 5,
      server: 'a',
      kind: 'exit',
      detail: { state: 'online', signal: 'SIGKILL' },
      exitCode: 1,
    });
    expect(
      toServerEventRow({
        server: 'a',
        kind: 'restart',
        state: 'restarting',
        at: 6,
        delayMs: 200,
        message: 'm',
      }),
    ).toEqual({
      ts: 6,
      server: 'a',
      kind: 'restart',
      detail: { state: 'restarting', message: 'm', delayMs: 200 },
      exitCode: null,
    });
  });

  it('leaves out what is not history: online and plain state changes', () => {
    expect(toServerEventRow({ server: 'a', kind: 'online', state: 'online', at: 1 })).toBeUndefined();
    expect(toServerEventRow({ server: 'a', kind: 'state', state: 'stopping', at: 1 })).toBeUndefined();
  });
});
