import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  formatStatusTable,
  formatTable,
} from '../../../supervisor/cli/format.ts';
import type { ServerStatus } from '../../../supervisor/client/wire-types.ts';

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

  it('cuts long errors to 60 characters', () => {
    const line = formatStatusTable([row({ lastError: 'x'.repeat(200) })]).split('\n')[1]!;
    expect(line.endsWith(` ${'x'.repeat(60)}`)).toBe(true);
  });

  it('says so when no server is configured', () => {
    expect(formatStatusTable([])).toBe('no servers configured');
  });
});
