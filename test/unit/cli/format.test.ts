import { describe, expect, it } from 'vitest';
import {
  formatAlertEvent,
  formatBytes,
  formatClusterStatus,
  formatDoctorCheck,
  formatDuration,
  formatEventsTable,
  formatKeysTable,
  formatReload,
  formatStatusTable,
  formatTable,
} from '../../../supervisor/cli/format.ts';
import type { ClusterStatus, ServerStatus } from '../../../supervisor/client/wire-types.ts';

describe('formatDuration', () => {
  it.each([
    [0, '-'],
    [-5, '-'],
    [999, '0s'],
    [59_000, '59s'],
    [61_000, '1m1s'],
    [3_600_000 + 120_000, '1h2m'],
    [26 * 3_600_000, '1d2h'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '-'],
    [512, '512 B'],
    [1536, '1.5 KiB'],
    [150 * 1024 * 1024, '150 MiB'],
    [3 * 1024 ** 3, '3.0 GiB'],
    [5 * 1024 ** 4, '5120 GiB'],
  ])('%d → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('formatTable', () => {
  it('pads columns to the widest cell and trims line ends', () => {
    expect(
      formatTable(
        ['A', 'BB'],
        [
          ['long', 'x'],
          ['s', ''],
        ],
      ),
    ).toBe('A     BB\nlong  x\ns');
  });
});

describe('formatStatusTable', () => {
  const row = (overrides: Partial<ServerStatus>): ServerStatus => ({
    name: 'memory',
    kind: 'stdio',
    state: 'online',
    stateChangedAt: 0,
    pid: 1234,
    uptimeMs: 61_000,
    restarts: 1,
    cpuPercent: 2.345,
    rssBytes: 50 * 1024 * 1024,
    toolCount: 9,
    upstream: 'ready',
    health: 'ok',
    ...overrides,
  });

  it('shows one row per server under a header', () => {
    const lines = formatStatusTable([
      row({}),
      row({
        name: 'crashy',
        state: 'errored',
        pid: 0,
        uptimeMs: 0,
        lastError: 'crash loop: 4 runs shorter than 1000 ms',
      }),
    ]).split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATE\s+PID\s+UPTIME\s+RESTARTS\s+CPU\s+RSS\s+TOOLS\s+NOTE$/);
    expect(lines[1]).toMatch(/^memory\s+online\s+1234\s+1m1s\s+1\s+2\.3%\s+50\.0 MiB\s+9$/);
    // A server without a process shows dashes, and its last error.
    expect(lines[2]).toMatch(
      /^crashy\s+errored\s+-\s+-\s+1\s+-\s+50\.0 MiB\s+9\s+crash loop: 4 runs shorter than 1000 ms$/,
    );
  });

  it('cuts long errors to 100 characters (a failed start needs room for its stderr)', () => {
    const line = formatStatusTable([row({ lastError: 'x'.repeat(200) })]).split('\n')[1]!;
    expect(line.endsWith(` ${'x'.repeat(100)}`)).toBe(true);
  });

  it('says for how long a server has been installing or starting', () => {
    const now = 1_000_000;
    const lines = formatStatusTable(
      [
        row({ name: 'fs', state: 'installing', stateChangedAt: now - 12_400, pid: 7 }),
        row({ name: 'gh', state: 'starting', stateChangedAt: now - 200, pid: 8 }),
        row({ name: 'mem', state: 'online', stateChangedAt: now - 90_000 }),
      ],
      now,
    ).split('\n');
    expect(lines[1]).toMatch(/^fs\s+installing 12s\s+7\s/);
    expect(lines[2]).toMatch(/^gh\s+starting 1s\s+8\s/);
    expect(lines[3]).toMatch(/^mem\s+online\s+1234\s/);
  });

  it('says so when no server is configured', () => {
    expect(formatStatusTable([])).toBe('no servers configured');
  });
});

describe('formatClusterStatus', () => {
  const server = {
    mode: 'clustered',
    limiterId: 'mcps:prod:server:memory',
    membersSeen: 2,
    localShare: { maxConcurrent: 4, queueSize: 10, requestTimeoutMs: 1, perClientConcurrent: 5 },
    sharedWaiting: 0,
    fallbackRequests: 0,
    movedRequests: 0,
    rebuilds: 0,
    reclaimedSlots: 0,
  };
  const cluster: ClusterStatus = {
    clusterId: 'prod',
    host: 'web-1',
    memberId: 'web-1:1:a',
    redis: 'redis://:***@redis:6379/0',
    state: 'connected',
    stateSince: 1_000,
    members: [
      { id: 'web-1:1:a', host: 'web-1', pid: 1, startedAt: 0, lastSeenAt: 0 },
      { id: 'web-2:1:b', host: 'web-2', pid: 1, startedAt: 0, lastSeenAt: 0 },
    ],
    membersSeen: 2,
    onUnavailable: 'local',
    isFallbackActive: false,
    reconnects: 0,
    servers: { memory: server },
  };

  it('names the state, the members, and nothing more while limits are shared', () => {
    expect(formatClusterStatus(cluster, 61_000)).toBe(
      'cluster prod (redis://:***@redis:6379/0) as web-1: connected for 1m0s, 2 members seen (web-1, web-2)',
    );
  });

  it('says what the fallback does, why, and which servers used it', () => {
    const down = {
      ...cluster,
      state: 'down',
      isFallbackActive: true,
      lastError: 'connect ECONNREFUSED',
      servers: { memory: { ...server, mode: 'local', fallbackRequests: 12, movedRequests: 1 } },
    };
    expect(formatClusterStatus(down, 6_000).split('\n')).toEqual([
      'cluster prod (redis://:***@redis:6379/0) as web-1: down for 5s, 2 members seen (web-1, web-2)',
      '  fallback active: each supervisor enforces its share of the limits alone (1/2)',
      '  last error: connect ECONNREFUSED',
      '  memory: local, 12 request(s) by the fallback, 1 moved off Redis',
    ]);
  });
});

describe('the command lines', () => {
  it('formatReload names what a reload did, or that nothing changed', () => {
    expect(formatReload({ added: ['a'], changed: ['b', 'c'], removed: [] })).toBe(
      'reloaded: added a; restarted b, c',
    );
    expect(formatReload({ added: [], removed: ['d'] })).toBe('reloaded: stopped d');
    expect(formatReload({})).toBe('config unchanged');
    expect(formatReload({ added: ['a'], changed: ['b'], states: { a: 'installing', b: 'starting' } })).toBe(
      'reloaded: added a (installing); restarted b (starting)',
    );
  });

  it('formatReload says which trigger applied the file when this reload found nothing to do', () => {
    const now = 100_000;
    const alreadyApplied = {
      trigger: 'file',
      at: now - 2_500,
      added: ['three'],
      removed: ['one'],
      states: { three: 'online' },
    };
    expect(formatReload({ added: [], removed: [], alreadyApplied }, now)).toBe(
      'config unchanged since the config file watcher applied it 2s ago: added three (online); stopped one',
    );
  });

  it('formatKeysTable and formatEventsTable say what to do when empty', () => {
    expect(formatKeysTable([])).toBe('no client keys; create one with: mcp-supervisor keys create NAME');
    expect(formatEventsTable([], '24h')).toBe('no server events in the last 24h');
    const table = formatKeysTable([
      {
        id: 'i1',
        name: 'cursor',
        servers: null,
        createdAt: 0,
        revokedAt: 5,
        lastUsedAt: null,
        prefix: 'mcps_abcd',
      },
    ]);
    expect(table.split('\n')[1]).toMatch(
      /^cursor\s+i1\s+mcps_abcd…\s+all\s+1970-01-01T00:00:00.000Z\s+revoked$/,
    );
  });

  it('formatDoctorCheck and formatAlertEvent keep their columns', () => {
    expect(formatDoctorCheck({ name: 'node', ok: true, detail: 'v24' })).toBe('ok   node: v24');
    expect(formatDoctorCheck({ name: 'pm2', ok: false, detail: 'missing' })).toBe('FAIL pm2: missing');
    const alert = {
      id: 1,
      key: 'host_cpu',
      rule: 'host_cpu',
      subject: 'host',
      severity: 'warning',
      message: 'CPU high',
      value: 90,
      threshold: 80,
      firedAt: 0,
      lastSeenAt: 0,
      notifiedAt: 0,
      resolvedAt: null,
      suppressedCount: 0,
      acknowledgedAt: null,
    };
    expect(formatAlertEvent('alert.fired', alert, new Date(0))).toBe(
      '1970-01-01T00:00:00.000Z  FIRED     host_cpu  CPU high',
    );
    expect(formatAlertEvent('alert.resolved', alert, new Date(0))).toBe(
      '1970-01-01T00:00:00.000Z  RESOLVED  host_cpu  CPU high',
    );
  });
});
