/**
 * Reload against a running supervisor: `reload` adds and removes servers, the file watcher does
 * the same on its own, and an invalid config changes nothing and says why.
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../../supervisor/shared/errors.ts';
import {
  cleanupTempHomes,
  describeProcesses,
  processesUnder,
  runCli,
  type SupervisorProcess,
  serverProcesses,
  serverRow,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  testServers,
  waitFor,
} from '../../helpers/index.ts';

describe('reload', () => {
  let home: TempHome;
  let supervisor: SupervisorProcess;
  const config = (names: string[]) => ({
    mcpServers: Object.fromEntries(names.map((name) => [name, testServers.memory(home.path, name)])),
  });
  const writeConfig = (value: unknown) => writeFile(home.paths.configFile, JSON.stringify(value, null, 2));
  const names = async () => (await supervisor.status()).servers.map((s) => s.name).sort();

  beforeAll(async () => {
    home = await tempHome();
    supervisor = await startSupervisorProcess({ home: home.path, config: config(['one', 'two']) });
  });

  afterAll(async () => {
    await cleanupTempHomes();
  });

  it('`reload` starts an added server and stops a removed one, leaving the rest alone', async () => {
    const [twoBefore] = serverProcesses(home.path, 'two');
    await writeConfig(config(['two', 'three']));
    const result = await runCli(['reload'], { home: home.path });
    expect(result.code, result.stderr).toBe(0);
    // The watcher may have applied the same change first; then the CLI says it did.
    expect(result.stdout.trim()).toMatch(
      /^(reloaded|config unchanged since the config file watcher applied it \d+s ago): added three \((starting|online)\); stopped one$/,
    );
    const body = await supervisor.waitForStatus(
      (b) => b.servers.length === 2 && b.servers.every((s) => s.state === 'online'),
      'two and three online',
    );
    expect(body.servers.map((s) => s.name).sort()).toEqual(['three', 'two']);
    expect(serverRow(body, 'three').toolCount).toBeGreaterThan(0);
    expect(serverProcesses(home.path, 'one')).toHaveLength(0);
    expect(serverProcesses(home.path, 'three')).toHaveLength(1);
    // Unchanged: the same process still serves it.
    expect(serverProcesses(home.path, 'two')[0]?.pid).toBe(twoBefore?.pid);
  });

  it('the file watcher applies a rewritten config by itself', async () => {
    await writeConfig(config(['two', 'four']));
    await waitFor(async () => ((await names()).join() === 'four,two' ? true : undefined), {
      what: 'the watcher to swap three for four',
      describeLast: () => JSON.stringify(processesUnder(home.path).map((p) => p.environ.MCPS_TEST_SERVER)),
    });
    await supervisor.waitForStatus((b) => serverRow(b, 'four').state === 'online', 'four online');
    await waitFor(() => (serverProcesses(home.path, 'three').length === 0 ? true : undefined), {
      what: 'three’s process to go',
      timeoutMs: 10_000,
    });
    expect(serverProcesses(home.path, 'four')).toHaveLength(1);
  });

  it('an invalid config changes nothing, and `reload` exits non-zero with the field path', async () => {
    // The gateway's tool probes (upstream/tool-probe.ts) of the servers just started come and go
    // by design: what must not change is the supervisor, the daemon and the servers.
    const before = processesUnder(home.path)
      .filter((p) => p.role !== 'probe')
      .map((p) => p.pid)
      .sort();
    const invalid = config(['two', 'four']) as { mcpServers: Record<string, { args: unknown[] }> };
    invalid.mcpServers.four!.args = ['-y', 5];
    await writeConfig(invalid);
    const result = await runCli(['reload'], { home: home.path });
    expect(result.code).toBe(EXIT_CODES.CONFIG_INVALID);
    expect(result.stderr).toContain(`${home.paths.configFile} is invalid:`);
    expect(result.stderr).toContain('mcpServers.four.args[1]: expected string, received number');
    // Give the watcher time to try the same file too; nothing may change.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const body = await supervisor.status();
    expect(body.servers.map((s) => `${s.name}:${s.state}`).sort()).toEqual(['four:online', 'two:online']);
    const after = processesUnder(home.path)
      .filter((p) => p.role !== 'probe')
      .map((p) => p.pid)
      .sort();
    expect(after, describeProcesses(processesUnder(home.path))).toEqual(before);
  });

  it('stops with zero processes left', async () => {
    const result = await supervisor.stop();
    expect(result.code, result.stderr).toBe(0);
    const left = processesUnder(home.path);
    expect(left, describeProcesses(left)).toHaveLength(0);
  });
});
