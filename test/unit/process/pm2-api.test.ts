import { describe, expect, it } from 'vitest';
import { EXIT_INFO_KEY } from '../../../supervisor/process/daemon-hook.ts';
import { exitEventOf, Pm2Calls, pm2AppOptions, startedPid } from '../../../supervisor/process/pm2-api.ts';

describe('exitEventOf', () => {
  it('takes the pid and signal the daemon hook recorded: PM2 says code 0 for a signal death', () => {
    const packet = {
      event: 'exit',
      process: { name: 'a', exit_code: 0, pm_uptime: 1_000, [EXIT_INFO_KEY]: { pid: 42, signal: 'SIGKILL' } },
    };
    expect(exitEventOf(packet, 3_500)).toEqual({
      name: 'a',
      pid: 42,
      exitCode: null,
      signal: 'SIGKILL',
      uptimeMs: 2_500,
    });
  });

  it('keeps an exit code, and knows no pid without the hook', () => {
    expect(exitEventOf({ event: 'exit', process: { name: 'a', exit_code: 3 } })).toEqual({
      name: 'a',
      pid: 0,
      exitCode: 3,
      signal: null,
      uptimeMs: 0,
    });
  });

  it('ignores every other event', () => {
    expect(exitEventOf({ event: 'online', process: { name: 'a' } })).toBeUndefined();
    expect(exitEventOf({ event: 'exit' })).toBeUndefined();
  });
});

describe('pm2AppOptions and startedPid', () => {
  it('starts a fork-mode process PM2 never restarts, with only the env it is given', () => {
    const options = pm2AppOptions({
      name: 'a',
      command: '/usr/bin/env',
      args: ['-i'],
      cwd: '/tmp',
      env: { PATH: '/bin' },
      outLogFile: '/tmp/a.out',
      errLogFile: '/tmp/a.err',
      killTimeoutMs: 1_000,
    });
    expect(options).toMatchObject({
      script: '/usr/bin/env',
      interpreter: 'none',
      exec_mode: 'fork',
      autorestart: false,
      filter_env: [''],
      env: { PATH: '/bin' },
      kill_timeout: 1_000,
    });
  });

  it('finds the pid in PM2’s answer to start, or 0', () => {
    expect(startedPid([{ process: { pid: 7 } }])).toBe(7);
    expect(startedPid([{ pid: 8 }])).toBe(8);
    expect(startedPid(undefined)).toBe(0);
  });
});

describe('Pm2Calls', () => {
  it('fails a call PM2 never answers with TIMEOUT, naming what and the log', async () => {
    const calls = new Pm2Calls({ pm2Home: '/h/pm2' });
    await expect(calls.call('list processes', 20, () => {})).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: 'PM2 did not list processes within 20 ms; see /h/pm2/pm2.log',
    });
  });

  it('maps PM2’s error to PROCESS_MANAGER, and fails what is in flight at once on failAll', async () => {
    const calls = new Pm2Calls({ pm2Home: '/h/pm2' });
    await expect(calls.call('start a', 1_000, (cb) => cb(new Error('boom')))).rejects.toMatchObject({
      code: 'PROCESS_MANAGER',
      message: 'PM2 could not start a: boom',
    });
    const pending = calls.call('list processes', 60_000, () => {});
    calls.failAll(new Error('the daemon died'));
    await expect(pending).rejects.toThrow('the daemon died');
    await expect(calls.call('list', 1_000, (cb) => cb(null, 5))).resolves.toBe(5);
  });
});
