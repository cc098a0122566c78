/**
 * The environment a server really gets, read back from a fixture server run by a real supervisor
 * (PM2, bridge): the allowlisted system variables, the configured additions, its own `env` — and
 * never the supervisor's own variables or anything off the list. Then a real `npx -y` of a package
 * that is not in node_modules (left-pad, into an empty npm cache) whose server makes an HTTPS
 * request: behind this machine's TLS-intercepting proxy that works only when NODE_EXTRA_CA_CERTS
 * reached it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readToken } from '../../../supervisor/client/token.ts';
import { envNameMatcher, inheritedEnvNames } from '../../../supervisor/process/server-env.ts';
import {
  type SupervisorProcess,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  testServerEnv,
} from '../../helpers/index.ts';
import { connectClient, mcpUrl, stopAndCheck } from '../gateway/helpers.ts';

const ENV_SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/env-server.mjs');
/** The CA bundle that makes Node trust this machine's proxy (the system one where it is not set). */
const CA_FILE = process.env.NODE_EXTRA_CA_CERTS ?? '/etc/ssl/certs/ca-certificates.crt';

interface EnvReport {
  env: Record<string, string>;
  npxPackages: string[] | null;
}

async function callText(supervisor: SupervisorProcess, server: string, tool: string, args = {}) {
  const token = await readToken(supervisor.paths.tokenFile);
  const connected = await connectClient(mcpUrl(supervisor.port, server), { token });
  try {
    const result = await connected.client.callTool({ name: tool, arguments: args });
    return (result.content as { type: string; text: string }[])[0]?.text ?? '';
  } finally {
    await connected.close();
  }
}

async function envOf(supervisor: SupervisorProcess, server: string): Promise<EnvReport> {
  return JSON.parse(await callText(supervisor, server, 'env')) as EnvReport;
}

describe('the environment a server gets', () => {
  let home: TempHome | undefined;
  let supervisor: SupervisorProcess | undefined;

  afterAll(async () => {
    await stopAndCheck(supervisor, home);
  }, 120_000);

  it('allowlisted system variables, configured additions and its own env; never the supervisor’s', async () => {
    home = await tempHome();
    const ownEnv = { ...testServerEnv(home.path, 'plain'), LANG: 'fr_FR.UTF-8' };
    supervisor = await startSupervisorProcess({
      home: home.path,
      env: {
        LANG: 'C.UTF-8',
        LC_ALL: 'C.UTF-8',
        TMPDIR: home.path,
        HTTPS_PROXY: 'http://127.0.0.1:9',
        http_proxy: 'http://127.0.0.1:9',
        NO_PROXY: '*',
        NODE_EXTRA_CA_CERTS: CA_FILE,
        AWS_PROFILE: 'dev',
        MY_SECRET_TOKEN: 'must-stay-in-the-supervisor',
        MCP_SUPERVISOR_KEY: 'mcps_must_not_leak',
        PM2_MUST_NOT_LEAK: '1',
      },
      config: {
        mcpServers: {
          plain: { command: process.execPath, args: [ENV_SERVER], env: ownEnv },
          extra: {
            command: process.execPath,
            args: [ENV_SERVER],
            env: testServerEnv(home.path, 'extra'),
            inheritEnv: ['MY_SECRET_TOKEN'],
          },
        },
        supervisor: { env: { inherit: ['AWS_*'] } },
      },
    });

    const plain = (await envOf(supervisor, 'plain')).env;
    expect(plain).toMatchObject({
      LC_ALL: 'C.UTF-8',
      TMPDIR: home.path,
      HTTPS_PROXY: 'http://127.0.0.1:9',
      http_proxy: 'http://127.0.0.1:9',
      NO_PROXY: '*',
      NODE_EXTRA_CA_CERTS: CA_FILE,
      AWS_PROFILE: 'dev',
      // The server's own env wins over what it inherits.
      LANG: 'fr_FR.UTF-8',
    });
    expect(plain.PATH).toBe(process.env.PATH);
    expect(plain.HOME).toBeTruthy();
    const isListed = envNameMatcher(inheritedEnvNames({ settings: { inherit: ['AWS_*'] } }));
    // The launching shell sets PWD to the server's own working directory (see process/server-launch.ts).
    const offList = Object.keys(plain).filter(
      (name) => !isListed(name) && !(name in ownEnv) && !(name === 'PWD' && plain.PWD === home?.path),
    );
    expect(offList, 'variables a server got that are neither allowlisted nor its own').toEqual([]);
    for (const name of [
      'MY_SECRET_TOKEN',
      'MCP_SUPERVISOR_KEY',
      'MCP_SUPERVISOR_PORT',
      'PM2_MUST_NOT_LEAK',
    ]) {
      expect(plain[name], name).toBeUndefined();
    }

    const extra = (await envOf(supervisor, 'extra')).env;
    expect(extra.MY_SECRET_TOKEN).toBe('must-stay-in-the-supervisor');
    expect(extra.MCP_SUPERVISOR_KEY).toBeUndefined();
  });

  it('npx -y downloads a package and its server reaches HTTPS through the proxy with the CA', async () => {
    const previous = supervisor;
    supervisor = undefined;
    await stopAndCheck(previous, home);
    home = await tempHome();
    const name = 'npx-env';
    supervisor = await startSupervisorProcess({
      home: home.path,
      env: { NODE_EXTRA_CA_CERTS: CA_FILE },
      config: {
        mcpServers: {
          [name]: {
            command: 'npx',
            // `--package` makes npx install left-pad (not in node_modules) and then run the fixture
            // with the install's bin dir on PATH; an empty cache forces a real download.
            args: ['-y', '--package', 'left-pad@1.3.0', '--', 'node', ENV_SERVER],
            env: {
              ...testServerEnv(home.path, name),
              npm_config_cache: path.join(home.path, 'npm-cache'),
              npm_config_update_notifier: 'false',
            },
          },
        },
      },
      timeoutMs: 120_000,
    });
    const report = await envOf(supervisor, name);
    expect(report.env.NODE_EXTRA_CA_CERTS).toBe(CA_FILE);
    expect(report.npxPackages, 'the server did not run from an npx install').toContain('left-pad');
    expect(existsSync(path.join(home.path, 'npm-cache', '_npx'))).toBe(true);

    const url = 'https://registry.npmjs.org/left-pad/1.3.0';
    expect(await callText(supervisor, name, 'https_get', { url })).toBe('200');
    // The control: without the CA the same request fails here, so the one above needed it. A
    // machine without an intercepting proxy answers 200 both times (the CA is then not needed).
    const withoutCa = await callText(supervisor, name, 'https_get', { url, withoutCa: true });
    expect(['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', '200']).toContain(withoutCa);
  }, 180_000);
});
