import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '../../../app/app-log.ts';
import {
  mergeLoginShellEnv,
  parseLoginShellOutput,
  pickLoginShellVariables,
  readLoginShellEnv,
  setupLoginShellEnv,
} from '../../../app/login-shell-env.ts';
import { listProcesses, waitFor } from '../../helpers/index.ts';

const M = '__MARK__';

describe('login shell output', () => {
  it('reads the environment between the markers, ignoring banners around it', () => {
    const output = `Welcome!\n${M}PATH=/opt/homebrew/bin:/usr/bin\nLANG=en_US.UTF-8\nMULTI=line one\nline two\n${M}bye\n`;
    expect(parseLoginShellOutput(output, M)).toEqual({
      PATH: '/opt/homebrew/bin:/usr/bin',
      LANG: 'en_US.UTF-8',
      MULTI: 'line one\nline two',
    });
    expect(parseLoginShellOutput('no markers here', M)).toBeUndefined();
    expect(parseLoginShellOutput(`${M}PATH=/bin`, M)).toBeUndefined();
  });

  it('keeps only PATH and the locale, proxy and CA variables', () => {
    const kept = {
      PATH: '/bin',
      LANG: 'C',
      LC_ALL: 'C.UTF-8',
      HTTPS_PROXY: 'http://proxy:3128',
      no_proxy: 'localhost',
      NODE_EXTRA_CA_CERTS: '/etc/ca.pem',
      SSL_CERT_FILE: '/etc/ssl/cert.pem',
    };
    const dropped = { GITHUB_TOKEN: 'secret', AWS_SECRET_ACCESS_KEY: 'secret', HOME: '/home/me', PS1: '$ ' };
    expect(pickLoginShellVariables({ ...kept, ...dropped })).toEqual(kept);
  });

  it("puts the shell's PATH first and keeps the app's entries it lacks", () => {
    const merged = mergeLoginShellEnv(
      { PATH: '/usr/bin:/bin:/app/only', HOME: '/home/me', LANG: 'C' },
      { PATH: '/opt/homebrew/bin:/usr/bin:/bin', LANG: 'en_GB.UTF-8' },
      ':',
    );
    expect(merged).toEqual({
      PATH: '/opt/homebrew/bin:/usr/bin:/bin:/app/only',
      HOME: '/home/me',
      LANG: 'en_GB.UTF-8',
    });
    expect(mergeLoginShellEnv({ PATH: '/bin' }, {}, ':')).toEqual({ PATH: '/bin' });
  });
});

describe('a real login shell', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'mcps-shell-'));
    const profile = [
      'echo "banner from the profile"',
      'export PATH="/opt/from-profile/bin:$PATH"',
      'export LANG=en_GB.UTF-8',
      'export HTTPS_PROXY=http://proxy.invalid:3128',
      'export GITHUB_TOKEN=must-not-leak',
    ].join('\n');
    await writeFile(path.join(home, '.profile'), `${profile}\n`);
    await writeFile(path.join(home, '.bash_profile'), `${profile}\n`);
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  const env = () => ({ HOME: home, PATH: '/usr/bin:/bin', USER: 'test' });

  for (const shell of ['/bin/sh', '/usr/bin/bash']) {
    it(`loads PATH and the kept variables from ${shell} -ilc`, async () => {
      const loaded = await readLoginShellEnv({ shell, env: env(), timeoutMs: 10_000 });
      expect(loaded.PATH?.split(':')[0]).toBe('/opt/from-profile/bin');
      expect(loaded.LANG).toBe('en_GB.UTF-8');
      expect(loaded.HTTPS_PROXY).toBe('http://proxy.invalid:3128');
      expect(loaded).not.toHaveProperty('GITHUB_TOKEN');
      expect(loaded).not.toHaveProperty('HOME');
    });
  }

  // The profile sleeps 30 s: an app that waited for the shell's pipes would hang that long.
  it('gives up on a profile that hangs, naming the shell', { timeout: 10_000 }, async () => {
    const slow = await mkdtemp(path.join(os.tmpdir(), 'mcps-shell-'));
    try {
      await writeFile(path.join(slow, '.profile'), 'sleep 30\n');
      await expect(
        readLoginShellEnv({ shell: '/bin/sh', env: { HOME: slow, PATH: '/usr/bin:/bin' }, timeoutMs: 300 }),
      ).rejects.toThrow(/cannot read the login shell's environment from \/bin\/sh: no answer within 300 ms/);
      // The profile's `sleep` went with the shell: its whole process group is killed.
      await waitFor(() => (listProcesses().some((p) => p.environ.HOME === slow) ? undefined : true), {
        what: 'the hanging profile to be killed',
        timeoutMs: 5_000,
      });
    } finally {
      await rm(slow, { recursive: true, force: true });
    }
  });

  it('says so when a profile exits before printing', async () => {
    const early = await mkdtemp(path.join(os.tmpdir(), 'mcps-shell-'));
    try {
      await writeFile(path.join(early, '.profile'), 'exit 0\n');
      await expect(
        readLoginShellEnv({ shell: '/bin/sh', env: { HOME: early, PATH: '/usr/bin:/bin' } }),
      ).rejects.toThrow(/printed no environment|cannot read the login shell/);
    } finally {
      await rm(early, { recursive: true, force: true });
    }
  });

  it("keeps the app's own environment when the shell fails, and skips it on Windows", async () => {
    const warnings: string[] = [];
    const log = { ...silentLog, warn: (message: string) => warnings.push(message) };
    const base = { PATH: '/usr/bin', HOME: home };
    expect(
      await setupLoginShellEnv({ base, log, read: async () => Promise.reject(new Error('no shell')) }),
    ).toEqual(base);
    expect(warnings).toEqual(["no shell; servers get the app's own PATH"]);
    expect(
      await setupLoginShellEnv({ base, log, platform: 'win32', read: async () => ({ PATH: '/x' }) }),
    ).toEqual(base);
    expect(
      (await setupLoginShellEnv({ base, log, platform: 'darwin', read: async () => ({ PATH: '/x' }) })).PATH,
    ).toBe('/x:/usr/bin');
  });
});
