/**
 * One reload pipeline (issue 9, item 11): `reload` returns once the change is applied — not when
 * a slow added server is online — and when the file watcher applied the change first, `reload`
 * says so (which trigger, when, what), never a bare "config unchanged".
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupTempHomes,
  runCli,
  type SupervisorProcess,
  serverRow,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  testServers,
} from '../../helpers/index.ts';
import { npxStyleSlowServer } from './fixtures.ts';

/** Long enough that a reload which waited for the server could not hide it. */
const SLOW_DELAY_MS = 15_000;

describe('reload reports what was applied, by whichever trigger', () => {
  let home: TempHome;
  let supervisor: SupervisorProcess;
  const config = (extra: Record<string, unknown>) => ({
    mcpServers: { quick: testServers.memory(home.path, 'quick'), ...extra },
  });
  const writeConfig = (value: unknown) => writeFile(home.paths.configFile, JSON.stringify(value, null, 2));

  beforeAll(async () => {
    home = await tempHome();
    supervisor = await startSupervisorProcess({ home: home.path, config: config({}) });
  });

  afterAll(async () => {
    await supervisor.stop();
    await cleanupTempHomes();
  });

  it('`reload` returns while an added server is still starting, naming its state', async () => {
    await writeConfig(config({ slow: npxStyleSlowServer(home.path, 'slow', SLOW_DELAY_MS) }));
    const result = await runCli(['reload'], { home: home.path });
    expect(result.code, result.stderr).toBe(0);
    // Whoever came first — this reload or the file watcher — the answer names the change.
    expect(result.stdout.trim()).toMatch(
      /^(reloaded: added slow \((starting|installing)\)|config unchanged since the config file watcher applied it \d+s ago: added slow \((starting|installing)\))$/,
    );
    const body = await supervisor.status();
    expect(serverRow(body, 'slow').state).not.toBe('online');
  });

  it('after the file watcher applied a change, `reload` says it did, and when', async () => {
    await writeConfig(config({ later: npxStyleSlowServer(home.path, 'later', SLOW_DELAY_MS) }));
    // The watcher applies it by itself (slow goes, later comes).
    await supervisor.waitForStatus(
      (b) => b.servers.some((s) => s.name === 'later') && !b.servers.some((s) => s.name === 'slow'),
      'the watcher to swap slow for later',
      30_000,
    );
    const result = await runCli(['reload', '--json'], { home: home.path });
    expect(result.code, result.stderr).toBe(0);
    const answer = JSON.parse(result.stdout) as {
      result: {
        trigger: string;
        added: string[];
        alreadyApplied?: {
          trigger: string;
          at: number;
          added: string[];
          removed: string[];
          states: Record<string, string>;
        };
      };
    };
    expect(answer.result.trigger).toBe('cli');
    expect(answer.result.added).toEqual([]);
    expect(answer.result.alreadyApplied).toMatchObject({
      trigger: 'file',
      added: ['later'],
      removed: ['slow'],
    });
    expect(answer.result.alreadyApplied?.at).toBeLessThanOrEqual(Date.now());
    expect(['starting', 'installing']).toContain(answer.result.alreadyApplied?.states.later);
    const text = await runCli(['reload'], { home: home.path });
    expect(text.stdout.trim()).toMatch(
      /^config unchanged since the config file watcher applied it \d+s ago: added later \((starting|installing)\); stopped slow$/,
    );
  });
});
