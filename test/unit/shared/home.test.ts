import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveHome, socketPathFor } from '../../../supervisor/shared/home.ts';

describe('resolveHome', () => {
  it('puts everything under an explicit home', () => {
    const paths = resolveHome({ home: '/tmp/h', env: {} });
    expect(paths).toMatchObject({
      root: '/tmp/h',
      configFile: '/tmp/h/config.json',
      pm2Home: '/tmp/h/pm2',
      runDir: '/tmp/h/run',
      logDir: '/tmp/h/logs',
      serverLogDir: '/tmp/h/logs/servers',
      tokenFile: '/tmp/h/control-token',
      stateFile: '/tmp/h/supervisor.json',
    });
  });

  it('takes MCP_SUPERVISOR_HOME when no --home is given, and --home over it', () => {
    expect(resolveHome({ env: { MCP_SUPERVISOR_HOME: '/tmp/e' } }).root).toBe('/tmp/e');
    expect(resolveHome({ home: '/tmp/h', env: { MCP_SUPERVISOR_HOME: '/tmp/e' } }).root).toBe('/tmp/h');
    expect(resolveHome({ home: 'rel', env: {} }).root).toBe(path.resolve('rel'));
  });

  it('never uses ~/.pm2 for PM2', () => {
    expect(resolveHome({ env: {} }).pm2Home).not.toBe(path.join(os.homedir(), '.pm2'));
  });

  it('keeps socket paths within 100 bytes for a very long home, stable per home', () => {
    const home = path.join(os.tmpdir(), 'a'.repeat(120), 'b'.repeat(80));
    const paths = resolveHome({ home, env: {} });
    const socket = socketPathFor(paths, 'x'.repeat(48));
    expect(Buffer.byteLength(socket)).toBeLessThanOrEqual(100);
    expect(paths.runDir.startsWith(home)).toBe(false);
    expect(resolveHome({ home, env: {} }).runDir).toBe(paths.runDir);
    // Another long home gets another run dir.
    expect(resolveHome({ home: `${home}c`, env: {} }).runDir).not.toBe(paths.runDir);
  });

  it('gives each server its own short socket name', () => {
    const paths = resolveHome({ home: '/tmp/h', env: {} });
    expect(socketPathFor(paths, 'a')).not.toBe(socketPathFor(paths, 'b'));
    expect(socketPathFor(paths, 'a')).toMatch(/^\/tmp\/h\/run\/[0-9a-f]{16}\.sock$/);
  });
});
