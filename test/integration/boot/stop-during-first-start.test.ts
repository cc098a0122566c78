/**
 * The bounds flake's mechanism, deterministically (issue 9, item 4): `stop` while a server's first
 * start is still going on. On a4514ce the stop ran its steps while the start went on; the config
 * watcher registered after them was never closed, so `stop` exited 12 after its timeout and the
 * supervisor process stayed, everything else stopped.
 */
import { afterEach, expect, it } from 'vitest';
import {
  cleanupTempHomes,
  describeProcesses,
  processesUnder,
  runCli,
  serverRow,
  startSupervisorProcess,
  tempHome,
} from '../../helpers/index.ts';
import { npxStyleSlowServer } from './fixtures.ts';

afterEach(async () => {
  await cleanupTempHomes();
});

it('`stop` while a server is in its first start: exit 0 at once, the supervisor gone, nothing left', async () => {
  const home = await tempHome();
  const supervisor = await startSupervisorProcess({
    home: home.path,
    // It says nothing for 60 s and may take 90: its start is surely under way when `stop` comes.
    config: {
      mcpServers: { slow: { ...npxStyleSlowServer(home.path, 'slow', 60_000), startTimeoutMs: 90_000 } },
    },
    waitForOnline: [],
  });
  expect(serverRow(await supervisor.status(), 'slow').state).not.toBe('online');
  const stop = await runCli(['stop', '--timeout', '30000'], { home: home.path, timeoutMs: 45_000 });
  expect(stop.code, stop.stderr).toBe(0);
  const exit = await supervisor.exited;
  expect(exit.code, exit.stderr.slice(-1000)).toBe(0);
  const left = processesUnder(home.path);
  expect(left, describeProcesses(left)).toHaveLength(0);
}, 120_000);
