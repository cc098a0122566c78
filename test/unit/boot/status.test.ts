import { describe, expect, it } from 'vitest';
import { statusRows } from '../../../supervisor/boot/status.ts';
import type { ServerStatus } from '../../../supervisor/client/wire-types.ts';
import type { SupervisorCore } from '../../../supervisor/core/supervisor.ts';
import type { ServerGuards } from '../../../supervisor/limits/guards.ts';
import type { MonitorSample } from '../../../supervisor/monitor/monitor.ts';

const coreRow: ServerStatus = {
  name: 'memory',
  kind: 'stdio',
  state: 'online',
  pid: 42,
  uptimeMs: 1000,
  restarts: 0,
  cpuPercent: 1,
  rssBytes: 100,
  toolCount: 9,
  upstream: 'ready',
  health: 'ok',
  lastPingMs: 0.5,
  lastError: 'earlier',
};

function sources(options: {
  guarded: boolean;
  sample?: { cpuPercent: number | null; rssBytes: number | null };
}) {
  const core = { status: async () => [{ ...coreRow }] } as unknown as SupervisorCore;
  const guards = {
    stats: (server: string) =>
      options.guarded && server === 'memory'
        ? { breaker: 'open', queued: 2, running: 1, queueSize: 10, maxConcurrent: 1, effectiveConcurrent: 1 }
        : undefined,
  } as unknown as ServerGuards;
  const latest: MonitorSample | null = options.sample
    ? {
        host: { ts: 0, cpuPercent: 0, memPercent: 0, load1: 0, load5: 0, load15: 0, loadPerCore: 0 },
        processes: [{ ts: 0, server: 'memory', pid: 42, restarts: 0, uptimeMs: 1, ...options.sample }],
      }
    : null;
  return { core, guards, monitor: { latest: () => latest } };
}

describe('statusRows', () => {
  it("adds the guard's breaker and queue, and the whole tree's CPU and RSS, in the row's field order", async () => {
    const [row] = await statusRows(sources({ guarded: true, sample: { cpuPercent: 12.5, rssBytes: 5000 } }));
    expect(row).toEqual({
      ...coreRow,
      cpuPercent: 12.5,
      rssBytes: 5000,
      breaker: 'open',
      queued: 2,
      running: 1,
    });
    expect(Object.keys(row ?? {})).toEqual([
      'name',
      'kind',
      'state',
      'pid',
      'uptimeMs',
      'restarts',
      'cpuPercent',
      'rssBytes',
      'toolCount',
      'upstream',
      'health',
      'lastPingMs',
      'breaker',
      'queued',
      'running',
      'lastError',
    ]);
  });

  it("keeps the core's row without a guard or a complete sample", async () => {
    expect(await statusRows(sources({ guarded: false }))).toEqual([coreRow]);
    expect(await statusRows(sources({ guarded: false, sample: { cpuPercent: null, rssBytes: 1 } }))).toEqual([
      coreRow,
    ]);
  });
});
