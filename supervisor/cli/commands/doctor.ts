import { access, constants, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Command } from 'commander';
import { ControlClient } from '../../client/control-client.ts';
import { errorMessage } from '../../shared/errors.ts';
import type { HomePaths } from '../../shared/home.ts';
import { homeOf, isJson } from '../context.ts';
import { formatDoctorCheck, print } from '../format.ts';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
}

const require = createRequire(import.meta.url);

/** Checks a person would otherwise do by hand when something does not start. */
export async function runDoctor(paths: HomePaths): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  checks.push({
    name: 'node',
    ok: major > 22 || (major === 22 && minor >= 18),
    detail: `${process.version} at ${process.execPath} (needs >= 22.18)`,
  });
  try {
    await access(paths.root, constants.W_OK);
    const mode = (await stat(paths.root)).mode & 0o777;
    checks.push({ name: 'home', ok: true, detail: `${paths.root} (mode ${mode.toString(8)})` });
  } catch {
    checks.push({ name: 'home', ok: true, detail: `${paths.root} (created at first start)` });
  }
  try {
    const pm2 = require('pm2/package.json') as { version: string };
    checks.push({ name: 'pm2', ok: true, detail: `pm2 ${pm2.version}, private home ${paths.pm2Home}` });
  } catch (error) {
    checks.push({ name: 'pm2', ok: false, detail: errorMessage(error) });
  }
  try {
    const Database = require('better-sqlite3') as new (file: string) => { close(): void };
    new Database(':memory:').close();
    checks.push({ name: 'sqlite', ok: true, detail: 'better-sqlite3 loads' });
  } catch (error) {
    checks.push({
      name: 'sqlite',
      ok: false,
      detail: `better-sqlite3 does not load: ${errorMessage(error)}`,
    });
  }
  try {
    const { loadConfig } = await import('../../config/load.ts');
    const loaded = await loadConfig({ paths });
    checks.push({
      name: 'config',
      ok: true,
      detail: `${loaded.file ?? 'built-in default'}: ${Object.keys(loaded.config.mcpServers).length} server(s)`,
    });
  } catch (error) {
    checks.push({ name: 'config', ok: false, detail: errorMessage(error) });
  }
  try {
    const body = await new ControlClient(paths).request<{ servers: { name: string; state: string }[] }>(
      'GET',
      '/api/status',
      { signal: AbortSignal.timeout(5_000) },
    );
    const down = body.servers.filter((s) => s.state !== 'online');
    checks.push({
      name: 'supervisor',
      ok: down.length === 0,
      detail:
        down.length === 0
          ? `running, ${body.servers.length} server(s) online`
          : `running; not online: ${down.map((s) => `${s.name} (${s.state})`).join(', ')}`,
    });
  } catch (error) {
    checks.push({ name: 'supervisor', ok: true, detail: `not running (${errorMessage(error)})` });
  }
  return checks;
}

/** `doctor`: the checks above; exit code 1 when one fails. */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check Node, the home, PM2, the config and the running supervisor')
    .action(async (_options: unknown, command: Command) => {
      const checks = await runDoctor(homeOf(command));
      if (isJson(command)) print(checks);
      else for (const check of checks) print(formatDoctorCheck(check));
      if (checks.some((check) => !check.ok)) process.exitCode = 1;
    });
}
