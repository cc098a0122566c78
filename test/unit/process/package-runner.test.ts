import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isPackageRunner, watchInstall } from '../../../supervisor/process/package-runner.ts';

describe('isPackageRunner', () => {
  it.each([
    ['npx', ['-y', '@modelcontextprotocol/server-memory'], true],
    ['/usr/local/bin/npx', ['pkg'], true],
    ['npx.cmd', ['pkg'], true],
    ['pnpx', ['pkg'], true],
    ['bunx', ['pkg'], true],
    ['uvx', ['mcp-server-fetch'], true],
    ['pipx', ['run', 'pkg'], true],
    ['pipx', ['install', 'pkg'], false],
    ['npm', ['exec', '--yes', 'pkg'], true],
    ['npm', ['--yes', 'exec', 'pkg'], true],
    ['npm', ['start'], false],
    ['pnpm', ['dlx', 'pkg'], true],
    ['pnpm', ['exec', 'tool'], false],
    ['yarn', ['dlx', 'pkg'], true],
    ['bun', ['x', 'pkg'], true],
    ['bun', ['run', 'script.ts'], false],
    ['uv', ['tool', 'run', 'pkg'], true],
    ['uv', ['--quiet', 'run', '--with', 'pkg', 'pkg'], true],
    ['uv', ['pip', 'install'], false],
    ['node', ['server.js'], false],
    ['python', ['-m', 'server'], false],
  ])('%s %j → %s', (command, args, expected) => {
    expect(isPackageRunner(command, args)).toBe(expected);
  });

  it('is false without a command (a remote server)', () => {
    expect(isPackageRunner(undefined)).toBe(false);
  });
});

describe('watchInstall', () => {
  it('reports once the runner has started a child in its process group', async () => {
    // A stand-in runner: alone for 400 ms ("installing"), then it starts the program.
    const runner = spawn(
      process.execPath,
      [
        '-e',
        `setTimeout(() => require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)'], { stdio: 'ignore' }), 400); setTimeout(() => {}, 5000);`,
      ],
      { detached: true, stdio: 'ignore' },
    );
    try {
      const startedAt = Date.now();
      let reportedAt = 0;
      await watchInstall(runner.pid!, {
        isWatching: () => Date.now() - startedAt < 10_000,
        onServerStarted: () => {
          reportedAt = Date.now();
        },
        intervalMs: 50,
      });
      expect(reportedAt).toBeGreaterThan(0);
      expect(reportedAt - startedAt).toBeGreaterThanOrEqual(350);
    } finally {
      process.kill(-runner.pid!, 'SIGKILL');
    }
  });

  it('stops without a report as soon as it is no longer asked to watch', async () => {
    const runner = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)'], {
      detached: true,
      stdio: 'ignore',
    });
    try {
      let calls = 0;
      let isWatching = true;
      setTimeout(() => {
        isWatching = false;
      }, 200);
      await watchInstall(runner.pid!, {
        isWatching: () => isWatching,
        onServerStarted: () => calls++,
        intervalMs: 20,
      });
      expect(calls).toBe(0);
    } finally {
      process.kill(-runner.pid!, 'SIGKILL');
    }
  });
});
