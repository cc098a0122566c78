import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConsoleRoute } from '../../../app/console-routes.ts';
import type { AlertEvent } from '../../../app/supervisor-wire.ts';
import { electronState, FakeNotification } from '../../helpers/electron-mock.ts';
import { crashLoopAlert } from './alert-fixtures.ts';

vi.mock('electron', () => import('../../helpers/electron-mock.ts'));
const { readCrashContext, setupNotifications } = await import('../../../app/notifications.ts');

const crash = crashLoopAlert({ firedAt: 1000, notifiedAt: 1000, lastSeenAt: 1000 });
const fired: AlertEvent = { type: 'alert.fired', alert: crash, isRepeat: false };

let isPaused: boolean;
const opened: ConsoleRoute[] = [];
const acted: unknown[] = [];
let actResult: () => Promise<void>;

function setup(platform: NodeJS.Platform = 'darwin') {
  return setupNotifications({
    platform,
    isPaused: () => isPaused,
    context: async () => ({
      server: { name: 'memory', state: 'errored', lastExit: { exitCode: 1, signal: null, at: 1 } },
      lastStderrLine: '2026-01-02T03:04:05: Error: EACCES: permission denied, open /data/memory.jsonl',
    }),
    open: (route) => opened.push(route),
    act: async (action) => {
      acted.push(action);
      await actResult();
    },
  });
}

beforeEach(() => {
  electronState.reset();
  isPaused = false;
  opened.length = 0;
  acted.length = 0;
  actResult = async () => {};
});

describe('alert notifications', () => {
  it('shows one notification per event, with title, body and buttons', async () => {
    expect(await setup().alert(fired)).toBe('shown');
    expect(electronState.notifications).toHaveLength(1);
    const [notification] = electronState.notifications;
    expect(notification?.options).toEqual({
      title: 'Critical: memory keeps crashing',
      body: 'exit code 1 · last error: Error: EACCES: permission denied, open /data/memory.jsonl',
      urgency: 'critical',
      actions: [
        { type: 'button', text: 'Restart' },
        { type: 'button', text: 'Acknowledge' },
      ],
    });
    expect(notification?.shows).toBe(1);
  });

  it('opens the console on the server or the alert when clicked', async () => {
    const notifier = setup();
    await notifier.alert(fired);
    await notifier.alert({
      type: 'alert.fired',
      alert: {
        ...crash,
        id: 3,
        key: 'host_cpu:host',
        rule: 'host_cpu',
        subject: 'host',
        value: 95,
        threshold: 80,
      },
      isRepeat: false,
    });
    electronState.notifications[0]?.listeners.emit('click');
    electronState.notifications[1]?.listeners.emit('click');
    expect(opened).toEqual([
      { view: 'server', name: 'memory' },
      { view: 'alert', id: 3 },
    ]);
  });

  it('restarts or acknowledges from the buttons', async () => {
    await setup().alert(fired);
    const [notification] = electronState.notifications;
    notification?.clickAction(0);
    notification?.clickAction(1);
    notification?.clickAction(5);
    expect(acted).toEqual([
      { id: 'restart', alertId: 9, server: 'memory' },
      { id: 'acknowledge', alertId: 9, server: 'memory' },
    ]);
  });

  it('says so when a button fails', async () => {
    actResult = async () => {
      throw new Error('the supervisor is not running (stopped)');
    };
    await setup().alert(fired);
    electronState.notifications[0]?.clickAction(0);
    await vi.waitFor(() => expect(electronState.notifications).toHaveLength(2));
    expect(electronState.notifications[1]?.options).toEqual({
      title: 'Restart failed',
      body: 'the supervisor is not running (stopped)',
    });
  });

  it('has no buttons on Linux', async () => {
    await setup('linux').alert(fired);
    expect(electronState.notifications[0]?.options.actions).toBeUndefined();
  });

  it('shows a replayed event once, but a reminder and a resolution each', async () => {
    const notifier = setup();
    expect(await notifier.alert(fired)).toBe('shown');
    expect(await notifier.alert(structuredClone(fired))).toBe('duplicate');
    expect(await notifier.alert({ ...fired, alert: { ...crash, notifiedAt: 301_000 }, isRepeat: true })).toBe(
      'shown',
    );
    expect(await notifier.alert({ type: 'alert.resolved', alert: { ...crash, resolvedAt: 400_000 } })).toBe(
      'shown',
    );
    expect(await notifier.alert({ type: 'alert.resolved', alert: { ...crash, resolvedAt: 400_000 } })).toBe(
      'duplicate',
    );
    expect(electronState.notifications.map((n) => n.options.title)).toEqual([
      'Critical: memory keeps crashing',
      'Reminder, critical: memory keeps crashing',
      'Resolved: memory keeps crashing',
    ]);
  });

  it('shows nothing while paused, and does not show a paused event later', async () => {
    const notifier = setup();
    isPaused = true;
    expect(await notifier.alert(fired)).toBe('paused');
    expect(notifier.message('Restart failed', 'x')).toBe('paused');
    isPaused = false;
    expect(await notifier.alert(fired)).toBe('duplicate');
    expect(electronState.notifications).toHaveLength(0);
  });

  it('shows nothing where the platform has no notifications', async () => {
    FakeNotification.isSupported.mockReturnValue(false);
    expect(await setup().alert(fired)).toBe('unsupported');
    expect(electronState.notifications).toHaveLength(0);
  });

  it('goes out without crash details when they cannot be read', async () => {
    const notifier = setupNotifications({
      platform: 'darwin',
      isPaused: () => false,
      context: async () => {
        throw new Error('no supervisor');
      },
      open: () => {},
      act: async () => {},
    });
    expect(await notifier.alert(fired)).toBe('shown');
    expect(electronState.notifications[0]?.options.body).toBe(crash.message);
  });
});

describe('crash context', () => {
  it('reads the last stderr line of the server', async () => {
    const request = vi.fn(async () => ({ server: 'memory', lines: [{ stream: 'err', line: 'boom' }] }));
    const row = { name: 'memory', state: 'errored' };
    expect(await readCrashContext({ request } as never, 'my server', row, AbortSignal.timeout(1000))).toEqual(
      {
        server: row,
        lastStderrLine: 'boom',
      },
    );
    expect(request).toHaveBeenCalledWith('GET', '/api/servers/my%20server/logs?stream=err&lines=1', {
      signal: expect.any(AbortSignal),
    });
    expect(await readCrashContext(undefined, 'memory', undefined, AbortSignal.timeout(1000))).toEqual({});
  });
});
