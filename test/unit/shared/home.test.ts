import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isStartFileName,
  LIFELINE_SOCKET_NAME,
  resolveHome,
  startFilesFor,
} from '../../../supervisor/shared/home.ts';

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

  it('keeps the lifeline socket path within 100 bytes for a very long home, stable per home', () => {
    const home = path.join(os.tmpdir(), 'a'.repeat(120), 'b'.repeat(80));
    const paths = resolveHome({ home, env: {} });
    const socket = path.join(paths.runDir, LIFELINE_SOCKET_NAME);
    expect(Buffer.byteLength(socket)).toBeLessThanOrEqual(100);
    expect(paths.runDir.startsWith(home)).toBe(false);
    expect(resolveHome({ home, env: {} }).runDir).toBe(paths.runDir);
    // Another long home gets another run dir.
    expect(resolveHome({ home: `${home}c`, env: {} }).runDir).not.toBe(paths.runDir);
  });

  it('gives each start of a server its own short, safe files in the run dir, and knows them', () => {
    const paths = resolveHome({ home: '/tmp/h', env: {} });
    const files = startFilesFor(paths, '../a b', '0123abcd');
    expect(files.envFile).toMatch(/^\/tmp\/h\/run\/[0-9a-f]{16}\.0123abcd\.env$/);
    expect(files.stdinPath).toBe(files.envFile.replace(/env$/, 'in'));
    expect(files.stdoutPath).toBe(files.envFile.replace(/env$/, 'out'));
    expect(startFilesFor(paths, 'a').envFile).not.toBe(startFilesFor(paths, 'a').envFile);
    expect(startFilesFor(paths, 'a', 'x').envFile).not.toBe(startFilesFor(paths, 'b', 'x').envFile);
    for (const file of Object.values(startFilesFor(paths, 'a')))
      expect(isStartFileName(path.basename(file))).toBe(true);
    expect(isStartFileName(LIFELINE_SOCKET_NAME)).toBe(false);
    expect(isStartFileName('config.json')).toBe(false);
  });
});
