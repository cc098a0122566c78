import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../supervisor/config/parse.ts';
import {
  defaultInheritedEnv,
  envNameMatcher,
  inheritedEnvNames,
  SDK_DEFAULT_ENV_POSIX,
  SDK_DEFAULT_ENV_WIN32,
  serverBaseEnv,
} from '../../../supervisor/process/server-env.ts';

/** A supervisor environment as a shell behind a TLS-intercepting proxy has it. */
const SUPERVISOR_ENV: NodeJS.ProcessEnv = {
  PATH: '/usr/local/bin:/usr/bin',
  HOME: '/home/me',
  USER: 'me',
  LOGNAME: 'me',
  SHELL: '/bin/bash',
  TERM: 'xterm-256color',
  LANG: 'de_DE.UTF-8',
  LC_ALL: 'de_DE.UTF-8',
  LC_MESSAGES: 'C',
  TMPDIR: '/var/tmp/me',
  HTTPS_PROXY: 'http://proxy:3128',
  https_proxy: 'http://proxy:3128',
  NO_PROXY: 'localhost,127.0.0.1',
  NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt',
  SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt',
  REQUESTS_CA_BUNDLE: '/etc/ssl/certs/ca-certificates.crt',
  // Never inherited:
  MCP_SUPERVISOR_HOME: '/home/me/.mcps',
  MCP_SUPERVISOR_KEY: 'mcps_secret',
  PM2_HOME: '/home/me/.mcps/pm2',
  AWS_SECRET_ACCESS_KEY: 'secret',
  GITHUB_TOKEN: 'ghp_secret',
  npm_config_cache: '/home/me/.npm',
  NODE_OPTIONS: '--inspect',
  BASH_FUNC_evil: '() { echo pwned; }',
};

describe('server environment allowlist', () => {
  it('starts from the MCP SDK default environment', () => {
    // The SDK's list on this platform must be part of ours, so nothing the SDK passes is lost.
    const sdk = Object.keys(getDefaultEnvironment());
    const ours = defaultInheritedEnv();
    for (const name of sdk) expect(ours).toContain(name);
    for (const name of SDK_DEFAULT_ENV_POSIX) expect(defaultInheritedEnv('linux')).toContain(name);
    for (const name of SDK_DEFAULT_ENV_WIN32) expect(defaultInheritedEnv('win32')).toContain(name);
  });

  it('passes locale, temp dir, proxy and CA variables, and nothing else', () => {
    const env = serverBaseEnv({ env: SUPERVISOR_ENV, platform: 'linux' });
    expect(env).toEqual({
      PATH: '/usr/local/bin:/usr/bin',
      HOME: '/home/me',
      USER: 'me',
      LOGNAME: 'me',
      SHELL: '/bin/bash',
      TERM: 'xterm-256color',
      LANG: 'de_DE.UTF-8',
      LC_ALL: 'de_DE.UTF-8',
      LC_MESSAGES: 'C',
      TMPDIR: '/var/tmp/me',
      HTTPS_PROXY: 'http://proxy:3128',
      https_proxy: 'http://proxy:3128',
      NO_PROXY: 'localhost,127.0.0.1',
      NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt',
      SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt',
      REQUESTS_CA_BUNDLE: '/etc/ssl/certs/ca-certificates.crt',
    });
  });

  it('never passes the supervisor or PM2 variables, even when listed by a pattern', () => {
    const env = serverBaseEnv({
      env: SUPERVISOR_ENV,
      platform: 'linux',
      settings: { inherit: ['MCP_*', 'PM*'] },
    });
    expect(Object.keys(env).filter((name) => /^(MCP_SUPERVISOR_|PM2_)/.test(name))).toEqual([]);
  });

  it('skips exported shell functions, as the SDK does', () => {
    const env = serverBaseEnv({
      env: SUPERVISOR_ENV,
      platform: 'linux',
      settings: { inherit: ['BASH_FUNC_*'] },
    });
    expect(env.BASH_FUNC_evil).toBeUndefined();
  });

  it('adds supervisor.env.inherit and the server inheritEnv to the built-in list', () => {
    const env = serverBaseEnv({
      env: SUPERVISOR_ENV,
      platform: 'linux',
      settings: { inherit: ['AWS_*'] },
      server: { inheritEnv: ['GITHUB_TOKEN'] },
    });
    expect(env.AWS_SECRET_ACCESS_KEY).toBe('secret');
    expect(env.GITHUB_TOKEN).toBe('ghp_secret');
    expect(env.NODE_EXTRA_CA_CERTS).toBeDefined();
    expect(env.npm_config_cache).toBeUndefined();
  });

  it('inheritDefaults: false replaces the built-in list with supervisor.env.inherit', () => {
    const env = serverBaseEnv({
      env: SUPERVISOR_ENV,
      platform: 'linux',
      settings: { inherit: ['PATH', 'LANG'], inheritDefaults: false },
    });
    expect(env).toEqual({ PATH: '/usr/local/bin:/usr/bin', LANG: 'de_DE.UTF-8' });
  });

  it('fills an allowed HOME from the account when the supervisor has none (launchd, systemd)', () => {
    const env = serverBaseEnv({ env: { PATH: '/bin' }, platform: 'darwin', homedir: () => '/Users/me' });
    expect(env).toEqual({ PATH: '/bin', HOME: '/Users/me' });
    const without = serverBaseEnv({
      env: { PATH: '/bin' },
      platform: 'darwin',
      settings: { inherit: ['PATH'], inheritDefaults: false },
      homedir: () => '/Users/me',
    });
    expect(without).toEqual({ PATH: '/bin' });
  });

  it('matches names without regard to case on Windows only', () => {
    const win = serverBaseEnv({
      env: { Path: 'C:\\Windows', SystemRoot: 'C:\\Windows', ComSpec: 'cmd.exe', Pm2_Home: 'x' },
      platform: 'win32',
    });
    expect(win).toEqual({ Path: 'C:\\Windows', SystemRoot: 'C:\\Windows', ComSpec: 'cmd.exe' });
    expect(envNameMatcher(['HTTP_PROXY'], 'linux')('http_proxy')).toBe(false);
    expect(envNameMatcher(['LC_*'], 'linux')('LC_CTYPE')).toBe(true);
  });

  it('lists names once, in order', () => {
    const names = inheritedEnvNames({ platform: 'linux', settings: { inherit: ['PATH', 'X'] } });
    expect(names.filter((n) => n === 'PATH')).toHaveLength(1);
    expect(names.at(-1)).toBe('X');
  });

  it('the config refuses the supervisor variables and malformed names with the field path', () => {
    const bad = (supervisorEnv: object, server: object = {}) => {
      try {
        parseConfig(
          JSON.stringify({
            mcpServers: { s: { command: 'x', ...server } },
            supervisor: { env: supervisorEnv },
          }),
        );
        return [];
      } catch (error) {
        return (error as { details: { problems: string[] } }).details.problems;
      }
    };
    expect(bad({ inherit: ['MCP_SUPERVISOR_KEY'] })[0]).toMatch(
      /^supervisor\.env\.inherit\[0\]: MCP_SUPERVISOR_\* and PM2_\* are the supervisor's own variables/,
    );
    expect(bad({}, { inheritEnv: ['*'] })[0]).toMatch(
      /^mcpServers\.s\.inheritEnv\[0\]: expected a variable name/,
    );
    expect(
      bad({ inherit: ['AWS_*', 'LC_*'], inheritDefaults: false }, { inheritEnv: ['GITHUB_TOKEN'] }),
    ).toEqual([]);
  });
});
