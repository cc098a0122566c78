// biome-ignore-all lint/performance/useDomNodeTextContent: the tests read what a person sees, the rendered text.
/**
 * The console's views beyond "it renders", in real Chromium against a real supervisor: the
 * client config a person copies; the server's charts over a chosen window, refusals by reason
 * among them; the host's charts with their alert thresholds; the request log filtered and
 * exported; the log viewer's restart markers, jump to a time, download and the supervisor log's
 * level filter; a config applied from the page showing what it added, and the timeline showing
 * that reload beside the lifecycle, filterable by kind.
 */
import { readFile } from 'node:fs/promises';
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupTempHomes,
  type SupervisorProcess,
  startSupervisorProcess,
  tempHome,
  testServers,
  waitFor,
} from '../helpers/index.ts';
import { consoleServers, mcpSession } from './fixtures/index.ts';
import {
  type ConsoleBrowser,
  closeConsoleBrowser,
  consoleUrl,
  launchConsoleBrowser,
  seriousAxeViolations,
  showRoute,
  waitForText,
} from './helpers/browser.ts';

let supervisor: SupervisorProcess;
let browser: ConsoleBrowser;
let page: Page;
let home: string;

const mainText = () => page.locator('main').innerText();

const go = (route: string) => showRoute(page, route);

async function downloaded(start: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [file] = await Promise.all([page.waitForEvent('download') as Promise<Download>, start()]);
  const filePath = await file.path();
  return { name: file.suggestedFilename(), text: await readFile(filePath, 'utf8') };
}

beforeAll(async () => {
  home = (await tempHome()).path;
  supervisor = await startSupervisorProcess({
    home,
    config: {
      mcpServers: {
        chatty: consoleServers.chatty(home, 'chatty'),
        // One call at a time and no queue: a second concurrent call is refused (queue_full).
        narrow: consoleServers.chatty(home, 'narrow', { limits: { maxConcurrent: 1, queueSize: 0 } }),
        memory: testServers.memory(home, 'memory'),
      },
      supervisor: {
        gateway: { auth: 'none' },
        monitor: {
          intervalMs: 1_000,
          thresholds: { cpuPercent: 95, memoryPercent: 99, loadPerCore: 1_000 },
        },
      },
    },
    waitForOnline: ['chatty', 'narrow', 'memory'],
  });
  const chatty = await mcpSession(supervisor.port, 'chatty');
  for (let i = 0; i < 4; i++) await chatty.callTool('wait', { ms: 20 });
  const narrow = await mcpSession(supervisor.port, 'narrow');
  const answers = await Promise.all([0, 1, 2, 3].map(() => narrow.callTool('wait', { ms: 400 })));
  expect(answers.filter((a) => a.includes('queue')).length).toBeGreaterThan(0);
  browser = await launchConsoleBrowser();
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: `http://127.0.0.1:${supervisor.port}`,
  });
  page = browser.page;
  await page.goto(await consoleUrl(supervisor.port, supervisor.paths.tokenFile, '/servers'));
  await waitForText(mainText, /chatty/);
}, 120_000);

afterAll(async () => {
  const { csp, errors } = await closeConsoleBrowser(browser);
  await supervisor?.stop();
  await cleanupTempHomes();
  expect(csp, 'Content-Security-Policy violations').toEqual([]);
  expect(errors, 'errors the page logged').toEqual([]);
});

describe('console views (Chromium)', () => {
  it('gives a ready client config per client and copies it', async () => {
    await go('/servers');
    const row = page.getByRole('row', { name: /^chatty/ });
    await row.getByRole('button', { name: 'Connect a client to chatty' }).click();
    const dialog = page.getByRole('dialog', { name: 'Connect a client to chatty' });
    const url = `http://127.0.0.1:${supervisor.port}/mcp/chatty`;
    await waitForText(() => dialog.innerText(), url);
    // Claude Desktop speaks stdio only: it runs the relay; the others reach the endpoint.
    const reaches: [string, string][] = [
      ['Claude Desktop', '"args":["connect","chatty"]'],
      ['Cursor', `"url":"${url}"`],
      ['VS Code', `"url":"${url}"`],
    ];
    for (const [client, reach] of reaches) {
      await dialog.getByRole('tab', { name: client }).click();
      const panel = dialog.getByRole('tabpanel');
      const copy = panel.getByRole('button', { name: `Copy ${client} config` });
      await waitForText(() => copy.innerText(), `Copy ${client} config`);
      const snippet = await panel.locator('pre').innerText();
      // What is shown is what the client reads: valid JSON that reaches this server.
      expect(JSON.stringify(JSON.parse(snippet))).toContain(reach);
      await copy.click();
      await waitFor(
        async () =>
          (await page.evaluate(() => navigator.clipboard.readText())) === snippet ? true : undefined,
        { what: `the ${client} config on the clipboard` },
      );
      expect(await panel.getByRole('status').innerText()).toBe('Copied');
    }
    expect(await seriousAxeViolations(page)).toEqual([]);
    await browser.screenshot('connect-dialog');
    await dialog.getByRole('button', { name: 'Close' }).click();
    expect(await dialog.count()).toBe(0);
  });

  it('charts a server over the chosen window, its refusals by reason among them', async () => {
    await go('/servers/narrow');
    const rates = page.getByRole('figure', { name: /^Requests per second: now/ });
    await waitForText(() => rates.innerText(), /ok[\s\S]*errors[\s\S]*refused/);
    const refusals = page.getByRole('figure', { name: /^Refusals by reason/ });
    await waitForText(() => refusals.innerText(), /queue_full/);
    expect(await refusals.getAttribute('aria-label')).toMatch(/peak [\d.]+\/s/);
    expect(
      await page
        .getByRole('figure', { name: /^Latency: now/ })
        .locator('canvas')
        .count(),
    ).toBeGreaterThan(0);
    await waitForText(
      async () =>
        (await page
          .getByRole('figure', { name: /^Memory \(process tree RSS\)/ })
          .getAttribute('aria-label')) ?? '',
      /now [\d.]+ MiB/,
      { timeoutMs: 20_000, what: 'an RSS sample charted' },
    );
    for (const window of ['15m', '24h', '7d', '1h']) {
      const button = page.getByRole('button', { name: window, exact: true });
      await button.click();
      expect(await button.getAttribute('aria-pressed')).toBe('true');
      await waitForText(() => refusals.innerText(), /queue_full/, {
        what: `refusals charted over ${window}`,
      });
    }
    expect(await seriousAxeViolations(page)).toEqual([]);
    await browser.screenshot('server-charts');
  });

  it('draws the host’s alert thresholds on its charts', async () => {
    await go('/host');
    const cpu = page.getByRole('figure', { name: /^CPU: now/ });
    await waitForText(() => cpu.innerText(), /Alert threshold: alert at 95 % 95(\.0)? %/, {
      timeoutMs: 20_000,
    });
    expect(await cpu.locator('canvas').count()).toBeGreaterThan(0);
    const memory = page.getByRole('figure', { name: /^Memory in use/ });
    expect(await memory.innerText()).toMatch(/alert at 99 %/);
    const load = page.getByRole('figure', { name: /^Load per core/ });
    expect(await load.innerText()).toMatch(/alert at 1000/);
  });

  it('filters the request log and exports what the filter shows as CSV and JSON lines', async () => {
    await go('/requests');
    const table = page.getByRole('table', { name: 'Requests' });
    await waitForText(() => table.innerText(), /narrow[\s\S]*chatty|chatty[\s\S]*narrow/);
    const filters = page.getByRole('form', { name: 'Request filters' });
    await filters.getByRole('combobox', { name: /^Server/ }).selectOption('narrow');
    await filters.getByRole('combobox', { name: /^Status/ }).selectOption('refused');
    await waitFor(async () => (page.url().includes('status=refused') ? true : undefined), {
      what: 'the filter in the URL',
    });
    // Only narrow's refusals once the filtered page has arrived.
    const shown = await waitForText(() => table.innerText(), /^(?![\s\S]*(chatty|\tok\t))[\s\S]*refused/, {
      what: 'only refused requests of narrow',
    });
    expect(shown).toMatch(/queue full/i);
    const csv = await downloaded(() => page.getByRole('button', { name: 'Export CSV' }).click());
    expect(csv.name).toMatch(/^requests-.*\.csv$/);
    const [header, ...rows] = csv.text.trim().split('\n');
    expect(header).toMatch(/server/);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatch(/narrow.*refused/);
    const json = await downloaded(() => page.getByRole('button', { name: 'Export JSON' }).click());
    expect(json.name).toMatch(/^requests-.*\.jsonl$/);
    const records = json.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { server: string; status: string; errorCode: string | null });
    expect(records.length).toBe(rows.length);
    for (const record of records) {
      expect(record).toMatchObject({ server: 'narrow', status: 'refused', errorCode: 'queue_full' });
    }
  });

  it('marks restarts in the server log, jumps to a time and downloads what it shows', async () => {
    await go('/servers/chatty/logs');
    const log = page.getByRole('region', { name: 'Log of chatty: lines' });
    await waitForText(() => log.innerText(), /console fixture ready/);
    // Enough lines that the first one is far out of view.
    const session = await mcpSession(supervisor.port, 'chatty');
    await session.callTool('spam', { count: 3_000 });
    await waitForText(() => page.locator('.log-status').innerText(), /^3\u202f0\d\d lines/, {
      what: 'the spammed lines in the viewer',
    });
    await waitForText(() => log.innerText(), /line 2999\b/);
    expect(await log.innerText()).not.toContain('console fixture ready');

    // Jump to the time the server wrote its first line: it is in view again.
    const firstLine = (
      await supervisor.client.request<{ lines: { line: string }[] }>(
        'GET',
        '/api/servers/chatty/logs?lines=5000',
      )
    ).lines.find(({ line }) => line.includes('console fixture ready'))?.line;
    const time = /T(\d\d:\d\d:\d\d)/.exec(firstLine ?? '')?.[1];
    expect(time, `a timestamp on ${firstLine}`).toBeDefined();
    // PM2 writes local time; the page's clock is this machine's as well.
    await page.getByLabel('Jump to time').fill(time ?? '');
    await page.getByRole('button', { name: 'Go to time' }).click();
    await waitForText(() => log.innerText(), /console fixture ready/, {
      what: 'the first line after the jump',
    });

    const file = await downloaded(() => page.getByRole('button', { name: 'Download' }).click());
    expect(file.name).toMatch(/^chatty-log-.*\.log$/);
    const lines = file.text.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3_001);
    expect(lines.find((line) => line.includes('console fixture ready'))).toMatch(
      /\tstderr\tconsole fixture ready$/,
    );

    // A restart is marked in the log, after the old process's lines, before the new one's.
    const follow = page.getByRole('button', { name: 'Follow' });
    if ((await follow.getAttribute('aria-pressed')) !== 'true') await follow.click();
    await waitForText(() => log.innerText(), /line 2999\b/);
    await page.getByRole('button', { name: 'Restart chatty' }).click();
    const marked = await waitForText(
      () => log.innerText(),
      /line 2999\b[\s\S]*── (stopped|restarting|exited[^─]*) ──[\s\S]*── (started|online) ──[\s\S]*console fixture ready/,
      { timeoutMs: 30_000, what: 'restart markers between the two processes' },
    );
    expect(marked).not.toMatch(/console fixture ready[\s\S]*line 2999\b/);
    await browser.screenshot('log-restart-marker');
  });

  it('filters the supervisor’s own log by level', async () => {
    await go('/logs/supervisor');
    const log = page.getByRole('region', { name: 'Supervisor log: lines' });
    await waitForText(() => log.innerText(), /supervisor listening/);
    // A request to a server that does not exist is logged as a warning by the gateway.
    await page.getByLabel('Lowest level shown').selectOption({ label: 'warn and above' });
    await waitFor(async () => ((await log.innerText()).includes('supervisor listening') ? undefined : true), {
      what: 'info lines hidden',
    });
    const rows = await log.locator('.log-row').allInnerTexts();
    for (const row of rows) expect(row).toMatch(/^\S*\s*(warn|error|fatal)|marker/);
    await page.getByLabel('Lowest level shown').selectOption({ label: 'all levels' });
    await waitForText(() => log.innerText(), /supervisor listening/);
  });

  it('applies an edited config, says what it added, and the timeline shows the reload', async () => {
    await go('/config');
    const editor = page.getByLabel(/Config file/);
    await waitFor(async () => ((await editor.inputValue()).includes('"narrow"') ? true : undefined), {
      what: 'the config in the editor',
    });
    const extra = JSON.stringify(consoleServers.chatty(home, 'extra'));
    await editor.fill(
      (await editor.inputValue()).replace('"mcpServers": {', `"mcpServers": {\n    "extra": ${extra},`),
    );
    await page.getByRole('button', { name: 'Validate' }).click();
    await waitForText(() => mainText(), /Valid\. Applying it would: added extra/);
    await page.getByRole('button', { name: 'Apply (reload)' }).click();
    await waitForText(() => mainText(), /Applied: added extra/, { timeoutMs: 60_000 });
    await supervisor.waitForStatus(
      (s) => s.servers.some((row) => row.name === 'extra'),
      'extra in the status',
    );
    expect(await readFile(supervisor.paths.configFile, 'utf8')).toContain('"extra"');

    await go('/timeline');
    const timeline = page.getByRole('list', { name: 'Timeline' });
    await waitForText(() => timeline.innerText(), /Config reloaded[\s\S]*added extra/);
    expect(await timeline.innerText()).toMatch(/chatty started/);
    // Only reloads: the lifecycle and alert entries go.
    await page.getByRole('checkbox', { name: 'Lifecycle' }).uncheck();
    await page.getByRole('checkbox', { name: 'Alerts' }).uncheck();
    await waitFor(async () => ((await timeline.innerText()).includes('chatty started') ? undefined : true), {
      what: 'lifecycle entries filtered out',
    });
    expect(await timeline.innerText()).toMatch(/Config reloaded/);
    expect(page.url()).toContain('category=reload');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await browser.screenshot('timeline-reloads');
  });
});
