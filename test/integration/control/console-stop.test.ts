/**
 * A console holds streams open for as long as it is shown (the event stream, a server's log, the
 * supervisor's log). Stopping the supervisor must not wait for them: they never end on their own.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readEventStream } from '../../../supervisor/client/control-client.ts';
import { consoleServers } from '../../e2e/fixtures/index.ts';
import {
  cleanupTempHomes,
  isSupervisorRunning,
  startSupervisorProcess,
  tempHome,
} from '../../helpers/index.ts';

afterAll(cleanupTempHomes);

describe('stop with consoles attached', () => {
  it('ends the console’s open streams at once when it stops', async () => {
    const home = (await tempHome()).path;
    const supervisor = await startSupervisorProcess({
      home,
      config: { mcpServers: { chatty: consoleServers.chatty(home, 'chatty') } },
    });
    const abort = new AbortController();
    const opened: string[] = [];
    const outcomes: string[] = [];
    for (const path of ['/api/events', '/api/servers/chatty/logs/follow', '/api/logs/supervisor/follow']) {
      const response = await supervisor.client.fetch('GET', path, { signal: abort.signal });
      expect(response.status).toBe(200);
      opened.push(path);
      void readEventStream(response, () => {}).then(
        () => outcomes.push(`ended ${path}`),
        (error: unknown) => outcomes.push(`cut ${path}: ${String(error)}`),
      );
    }
    // From the stop request to the process's exit: the CLI's own start-up is not what is measured.
    const startedAt = performance.now();
    await supervisor.client.request('POST', '/api/stop');
    const exit = await supervisor.exited;
    const elapsedMs = performance.now() - startedAt;
    abort.abort();
    expect(exit.code).toBe(0);
    expect(await isSupervisorRunning(supervisor.paths)).toBe(false);
    // Every stream was ended cleanly by the supervisor, none cut off when its grace ran out.
    expect(outcomes.sort()).toEqual(opened.map((path) => `ended ${path}`).sort());
    // The listener gives requests in flight a 2 s grace; streams, which never end, must not use it
    // up (a clean stop of one server takes a few hundred ms here).
    expect(elapsedMs).toBeLessThan(1_500);
  });
});
