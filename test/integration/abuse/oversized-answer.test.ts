/**
 * Issue 9 item 3: an upstream answer over the line limit (64 MiB) was dropped silently and the
 * client waited for a timeout that blamed the server. It is answered at once, saying what
 * happened, and the connection carries on.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SupervisorProcess,
  serverRow,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  testServerEnv,
  waitFor,
} from '../../helpers/index.ts';
import { stopAndCheck } from '../gateway/helpers.ts';
import { createKey, RawSession, timed } from './helpers.ts';

const BIG_SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/big-answer-server.mjs');
const ANSWER_BYTES = 70_000_000;

/** Everything the supervisor logged so far. */
async function supervisorLog(supervisor: SupervisorProcess): Promise<string> {
  const files = (await readdir(supervisor.paths.logDir)).filter((name) => name.endsWith('.log'));
  const texts = await Promise.all(
    files.map((name) => readFile(path.join(supervisor.paths.logDir, name), 'utf8')),
  );
  return texts.join('\n');
}

describe('abuse: an upstream answer over the line limit (real supervisor)', () => {
  let home: TempHome;
  let supervisor: SupervisorProcess;
  let session: RawSession;

  beforeAll(async () => {
    home = await tempHome();
    supervisor = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: {
          big: {
            command: process.execPath,
            args: [BIG_SERVER],
            env: testServerEnv(home.path, 'big'),
            limits: { requestTimeoutMs: 25_000 },
          },
        },
      },
    });
    const key = await createKey(supervisor, 'reader');
    session = new RawSession(supervisor.port, 'big', key.token);
    expect((await session.open()).status).toBe(200);
  });

  afterAll(async () => {
    await session?.close();
    await stopAndCheck(supervisor, home);
  }, 120_000);

  it('answers the request at once with what happened, and the server keeps answering', async () => {
    const pid = serverRow(await supervisor.status(), 'big').pid;
    const { value, ms } = await timed(() => session.callTool('big', { bytes: ANSWER_BYTES }));
    expect(value.body?.error?.code, value.text.slice(0, 500)).toBe(-32603);
    expect(value.body?.error?.message).toMatch(
      /server "big" answered with a message of \d+ bytes, over the limit of 67108864 bytes/,
    );
    // Well before the 25 s timeout: the time to write and read 70 MB through a pipe.
    expect(ms).toBeLessThan(15_000);
    const echo = await session.callTool('echo', { message: 'after' });
    expect(echo.body?.result, echo.text).toMatchObject({ content: [{ type: 'text', text: 'Echo: after' }] });
    const row = serverRow(await supervisor.status(), 'big');
    expect(row.pid).toBe(pid);
    expect(row.breaker ?? 'closed').toBe('closed');
    // And the supervisor's log says so.
    await waitFor(
      async () => ((await supervisorLog(supervisor)).includes('over the size limit') ? true : undefined),
      {
        timeoutMs: 10_000,
        what: 'the dropped message in the supervisor log',
      },
    );
  }, 60_000);
});
