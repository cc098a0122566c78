import { describe, expect, it, vi } from 'vitest';
import { StatusMonitor } from '../../../app/status-monitor.ts';
import type { SupervisorView } from '../../../app/supervisor-view.ts';
import type { TraySnapshot } from '../../../app/tray-state.ts';

function fakeSupervisor(initial: SupervisorView) {
  const listeners = new Set<(view: SupervisorView) => void>();
  const request = vi.fn(
    async (): Promise<unknown> => ({
      supervisor: { pid: 1, configFile: '/c.json' },
      servers: [{ name: 'memory', state: 'online', pid: 5 }],
    }),
  );
  const supervisor = {
    view: initial,
    get client() {
      return supervisor.view.phase === 'running' ? ({ request } as never) : undefined;
    },
    onChange: (listener: (view: SupervisorView) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    recheck: vi.fn(async () => supervisor.view),
    set(view: SupervisorView) {
      supervisor.view = view;
      for (const listener of listeners) listener(view);
    },
  };
  return { supervisor, request };
}
const running: SupervisorView = { phase: 'running', isOwned: false, origin: 'http://127.0.0.1:7420', pid: 1 };

describe('status monitor', () => {
  it('publishes the status rows of the running supervisor', async () => {
    const { supervisor } = fakeSupervisor(running);
    const monitor = new StatusMonitor({ supervisor, intervalMs: 60_000 });
    const snapshots: TraySnapshot[] = [];
    monitor.onSnapshot((snapshot) => snapshots.push(snapshot));
    await monitor.refresh();
    expect(monitor.snapshot).toEqual({
      supervisor: running,
      servers: [{ name: 'memory', state: 'online', pid: 5 }],
      configFile: '/c.json',
    });
    expect(monitor.server('memory')?.pid).toBe(5);
    expect(snapshots).toHaveLength(1);
    monitor.dispose();
  });

  it('coalesces refreshes asked while one runs into one more', async () => {
    const { supervisor, request } = fakeSupervisor(running);
    const monitor = new StatusMonitor({ supervisor, intervalMs: 60_000 });
    await Promise.all([monitor.refresh(), monitor.refresh(), monitor.refresh(), monitor.refresh()]);
    await vi.waitFor(() => expect(request).toHaveBeenCalledTimes(2));
    monitor.dispose();
  });

  it('shows a failing status as not answering, or as down once the supervisor is gone', async () => {
    const { supervisor, request } = fakeSupervisor(running);
    const monitor = new StatusMonitor({ supervisor, intervalMs: 60_000 });
    await monitor.refresh();
    request.mockRejectedValueOnce(new Error('fetch failed'));
    await monitor.refresh();
    expect(monitor.snapshot.statusError).toBe('fetch failed');
    expect(monitor.snapshot.servers).toHaveLength(1);

    const down: SupervisorView = { phase: 'down', reason: 'stopped', isFailure: false, canStart: true };
    request.mockRejectedValueOnce(new Error('fetch failed'));
    supervisor.recheck.mockImplementationOnce(async () => down);
    await monitor.refresh();
    expect(monitor.snapshot).toEqual({ supervisor: down, servers: undefined });
    monitor.dispose();
  });

  it('follows the supervisor view, clearing the rows when it goes down', async () => {
    const { supervisor } = fakeSupervisor({ phase: 'starting' });
    const monitor = new StatusMonitor({ supervisor, intervalMs: 60_000 });
    monitor.start();
    supervisor.set(running);
    await vi.waitFor(() => expect(monitor.snapshot.servers).toHaveLength(1));
    supervisor.set({ phase: 'down', reason: 'x', isFailure: true, canStart: true });
    expect(monitor.snapshot.servers).toBeUndefined();
    expect(monitor.snapshot.supervisor.phase).toBe('down');
    monitor.dispose();
  });

  it('rejects a malformed status body', async () => {
    const { supervisor, request } = fakeSupervisor(running);
    request.mockResolvedValueOnce({ servers: 'nope' });
    const monitor = new StatusMonitor({ supervisor, intervalMs: 60_000 });
    await monitor.refresh();
    expect(monitor.snapshot.statusError).toMatch(
      /^the supervisor's status has an unexpected shape at supervisor \(.*\); update the app or the supervisor$/,
    );
    monitor.dispose();
  });
});
