import { describe, expect, it } from 'vitest';
import type { ServerRow } from '../../../app/supervisor-wire.ts';
import {
  serverReason,
  stateCounts,
  type TraySnapshot,
  trayIconFile,
  trayLevel,
  trayTooltip,
} from '../../../app/tray-state.ts';

const running = { phase: 'running', isOwned: true, origin: 'http://127.0.0.1:7420', pid: 10 } as const;
const snapshot = (servers: ServerRow[] | undefined, extra: Partial<TraySnapshot> = {}): TraySnapshot => ({
  supervisor: running,
  servers,
  ...extra,
});
const row = (name: string, state: string, extra: Partial<ServerRow> = {}): ServerRow => ({
  name,
  state,
  ...extra,
});

describe('tray level (the worst unexpected state)', () => {
  it('is ok when every server is online or stopped on purpose', () => {
    expect(trayLevel(snapshot([]))).toBe('ok');
    expect(trayLevel(snapshot([row('a', 'online'), row('b', 'stopped'), row('c', 'stopping')]))).toBe('ok');
  });

  it('is busy while a server starts, restarts or installs', () => {
    for (const state of ['starting', 'restarting', 'installing']) {
      expect(trayLevel(snapshot([row('a', 'online'), row('b', state)])), state).toBe('busy');
    }
    expect(trayLevel(snapshot([row('a', 'online', { health: 'failing' })]))).toBe('busy');
  });

  it('is error for a crash loop, an unavailable server, an open breaker or an unknown state', () => {
    expect(trayLevel(snapshot([row('a', 'restarting'), row('b', 'errored')]))).toBe('error');
    expect(trayLevel(snapshot([row('a', 'unavailable')]))).toBe('error');
    expect(trayLevel(snapshot([row('a', 'online', { breaker: 'open' })]))).toBe('error');
    expect(trayLevel(snapshot([row('a', 'something-new')]))).toBe('error');
  });

  it('is offline when no supervisor answers, busy while it starts or stops', () => {
    const down = { phase: 'down', reason: 'port 7420 is in use', isFailure: true, canStart: true } as const;
    expect(trayLevel({ supervisor: down, servers: undefined })).toBe('offline');
    expect(trayLevel(snapshot([row('a', 'online')], { statusError: 'fetch failed' }))).toBe('offline');
    expect(trayLevel({ supervisor: { phase: 'starting' }, servers: undefined })).toBe('busy');
    expect(trayLevel({ supervisor: { phase: 'stopping' }, servers: undefined })).toBe('busy');
    expect(trayLevel(snapshot(undefined))).toBe('busy');
  });
});

describe('tray icon file', () => {
  it('uses template images on macOS, coloured dots elsewhere', () => {
    expect(trayIconFile('ok', 'darwin')).toBe('trayTemplate.png');
    expect(trayIconFile('error', 'darwin')).toBe('tray-errorTemplate.png');
    expect(trayIconFile('offline', 'darwin')).toBe('tray-offlineTemplate.png');
    expect(trayIconFile('ok', 'linux')).toBe('tray-green.png');
    expect(trayIconFile('busy', 'win32')).toBe('tray-yellow.png');
    expect(trayIconFile('error', 'linux')).toBe('tray-red.png');
    expect(trayIconFile('offline', 'win32')).toBe('tray-grey.png');
  });
});

describe('tray tooltip', () => {
  it('counts the servers per state, worst first and stopped last', () => {
    const servers = [
      row('a', 'online'),
      row('b', 'stopped'),
      row('c', 'errored'),
      row('d', 'online'),
      row('e', 'starting'),
    ];
    expect(stateCounts(servers)).toBe('1 errored, 1 starting, 2 online, 1 stopped');
    expect(trayTooltip(snapshot(servers))).toBe('mcp-supervisor: 1 errored, 1 starting, 2 online, 1 stopped');
    expect(trayTooltip(snapshot([]))).toBe('mcp-supervisor: no servers configured');
  });

  it('gives the reason when the supervisor is down, cut to what Windows shows', () => {
    const reason = `port 7420 on 127.0.0.1 is in use; set supervisor.port or MCP_SUPERVISOR_PORT to a free port ${'x'.repeat(80)}`;
    const tooltip = trayTooltip({
      supervisor: { phase: 'down', reason, isFailure: true, canStart: true },
      servers: undefined,
    });
    expect(tooltip.startsWith('mcp-supervisor: not running — port 7420 on 127.0.0.1 is in use')).toBe(true);
    expect(tooltip.length).toBe(127);
    expect(tooltip.endsWith('…')).toBe(true);
    expect(trayTooltip({ supervisor: { phase: 'starting' }, servers: undefined })).toBe(
      'mcp-supervisor: starting the supervisor…',
    );
  });
});

describe('server reason', () => {
  it('says why a server is down: its last error with the exit code', () => {
    expect(
      serverReason(
        row('a', 'errored', { lastError: 'keeps crashing', lastExit: { exitCode: 1, signal: null, at: 1 } }),
      ),
    ).toBe('exit code 1: keeps crashing');
    expect(
      serverReason(row('a', 'restarting', { lastExit: { exitCode: null, signal: 'SIGKILL', at: 1 } })),
    ).toBe('killed by SIGKILL');
    expect(serverReason(row('a', 'unavailable', { lastError: 'connect ECONNREFUSED' }))).toBe(
      'connect ECONNREFUSED',
    );
  });

  it('says nothing for a healthy or deliberately stopped server', () => {
    expect(serverReason(row('a', 'online'))).toBeUndefined();
    expect(
      serverReason(row('a', 'stopped', { lastExit: { exitCode: 0, signal: null, at: 1 } })),
    ).toBeUndefined();
  });
});
