// biome-ignore-all lint/performance/useDomNodeTextContent: the tests read what a person sees, the rendered text.
/**
 * The operator console in real Chromium against a real supervisor with real servers: every view
 * shows real data and passes axe; a crash loop explains itself; Start/Stop/Restart change the
 * state; an alert is acknowledged from the page; the log viewer follows and searches; config
 * validation shows the schema's field error; keys are created and revoked. Assertions read what a
 * person sees (roles, names, text); screenshots go to test-artifacts/e2e/.
 */
import type { Page } from 'playwright-core';
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

const text = (selector: string) => () => page.locator(selector).first().innerText();
const mainText = text('main');

const go = (route: string) => showRoute(page, route);

async function expectAccessible(view: string): Promise<void> {
  const violations = await seriousAxeViolations(page);
  expect(violations, `${view}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
}

beforeAll(async () => {
  home = (await tempHome()).path;
  supervisor = await startSupervisorProcess({
    home,
    config: {
      mcpServers: {
        chatty: consoleServers.chatty(home, 'chatty'),
        crashy: consoleServers.crashing(home, 'crashy'),
        flaky: consoleServers.flaky(home, 'flaky'),
        memory: testServers.memory(home, 'memory'),
      },
      supervisor: {
        gateway: { auth: 'none' },
        restart: { maxRestarts: 2, backoffMs: 50, maxBackoffMs: 200 },
        monitor: { intervalMs: 1_000, thresholds: { memoryPercent: 100, loadPerCore: 1_000 } },
        capture: { payloads: true, maxBytes: 2_048 },
      },
    },
    waitForOnline: ['chatty', 'memory'],
  });
  const session = await mcpSession(supervisor.port, 'chatty');
  for (let i = 0; i < 5; i++) await session.callTool('wait', { ms: 30 });
  await session.callTool('fail', { message: 'on purpose' });
  await session.callTool('fail', { message: 'bad input', asResult: true });
  await session.callTool('say', { text: 'with a secret', token: 'tok-e2e-secret' });
  browser = await launchConsoleBrowser();
  page = browser.page;
  await page.goto(await consoleUrl(supervisor.port, supervisor.paths.tokenFile, '/servers'));
}, 120_000);

afterAll(async () => {
  const { csp, errors } = await closeConsoleBrowser(browser);
  await supervisor?.stop();
  await cleanupTempHomes();
  expect(csp, 'Content-Security-Policy violations').toEqual([]);
  expect(errors, 'errors the page logged').toEqual([]);
});

describe('operator console (Chromium)', () => {
  it('takes the token out of the address bar and keeps it for the tab only', async () => {
    await waitForText(mainText, /chatty/);
    expect(page.url()).not.toContain('token=');
    expect(page.url()).toMatch(/\/ui\/#\/servers$/);
    expect(await page.evaluate(() => sessionStorage.getItem('mcp-supervisor.token'))).toMatch(
      /^[0-9a-f]{64}$/,
    );
  });

  it('renders every view with real data and no serious or critical axe violation', async () => {
    const views: [string, RegExp][] = [
      ['/servers', /chatty[\s\S]*online[\s\S]*memory/],
      ['/servers/chatty', /say[\s\S]*greeting[\s\S]*console:\/\/readme/],
      ['/servers/chatty/logs', /console fixture ready/],
      ['/alerts', /crashy keeps crashing/],
      ['/host', /CPU\s+\d+(\.\d)? %/],
      ['/timeline', /chatty started/],
      ['/requests', /tools\/call[\s\S]*fail[\s\S]*error/],
      ['/logs/supervisor', /supervisor listening/],
      ['/config', /Config file/],
      ['/keys', /Client keys/],
    ];
    for (const [route, expected] of views) {
      await go(route);
      await waitForText(mainText, expected, { what: `${route} showing ${expected}` });
      await expectAccessible(route);
      await browser.screenshot(`view${route.replaceAll('/', '-')}`);
    }
    // The config editor shows the file, not an empty box.
    await go('/config');
    await waitFor(
      async () =>
        (await page.getByLabel(/Config file/).inputValue()).includes('mcpServers') ? true : undefined,
      {
        what: 'the config text in the editor',
      },
    );
  });

  it('explains a server that fails to start with its exit code and the last lines of its stderr', async () => {
    await go('/servers');
    const row = page.getByRole('row', { name: /crashy/ });
    // It exits before it ever answered initialize: a failed first start, not restarted (the
    // core's rule since lifecycle; a crash loop after being online reads "crash loop").
    await waitForText(() => row.innerText(), /failed to start/);
    const shown = await waitForText(() => row.innerText(), /Error: ENOENT/);
    expect(shown).toMatch(
      /Failed to start: exit code 3 before it answered initialize\. It stays down until you start it/,
    );
    expect(shown).toContain('loading settings from /nonexistent/settings.db');
    // Start is offered (it stays down until started), Stop is not.
    expect(await row.getByRole('button', { name: 'Start crashy' }).isEnabled()).toBe(true);
    expect(await row.getByRole('button', { name: 'Stop crashy' }).count()).toBe(0);
    await browser.screenshot('crash-loop');
  });

  it('explains a server that crash-loops after being online with its reason and last stderr line', async () => {
    await go('/servers');
    const row = page.getByRole('row', { name: /flaky/ });
    const shown = await waitForText(() => row.innerText(), /crash loop/i, { timeoutMs: 30_000 });
    expect(shown).toMatch(/Exited with exit code 4, \d+ times in a row within [\d.]+ s of starting/);
    await waitForText(() => row.innerText(), /lost the connection to the license server/);
    expect(await row.getByRole('button', { name: 'Start flaky' }).isEnabled()).toBe(true);
    await browser.screenshot('crash-loop-after-online');
  });

  it('stops, starts and restarts a server from its row, showing the progress', async () => {
    await go('/servers');
    const row = page.getByRole('row', { name: /^chatty/ });
    const pidBefore = (await supervisor.status()).servers.find((s) => s.name === 'chatty')?.pid;
    await row.getByRole('button', { name: 'Stop chatty' }).click();
    await waitForText(() => row.innerText(), /stopped/);
    expect((await supervisor.status()).servers.find((s) => s.name === 'chatty')?.state).toBe('stopped');
    await row.getByRole('button', { name: 'Start chatty' }).click();
    await waitForText(() => row.innerText(), /online/, { timeoutMs: 30_000 });
    await row.getByRole('button', { name: 'Restart chatty' }).click();
    // The button says what is happening while the supervisor works.
    await waitForText(() => row.innerText(), /Restarting…|stopping|starting/, { timeoutMs: 5_000 });
    const restarted = await supervisor.waitForStatus(
      (body) => body.servers.some((s) => s.name === 'chatty' && s.state === 'online' && s.pid !== pidBefore),
      'chatty online again with a new pid',
    );
    const pidAfter = restarted.servers.find((s) => s.name === 'chatty')?.pid;
    await waitForText(() => row.innerText(), new RegExp(`online[\\s\\S]*${pidAfter}`));
  });

  it('shows an alert as it fires and acknowledges it from the page', async () => {
    await go('/alerts');
    const firing = page.getByRole('list', { name: 'Firing alerts' });
    const alert = firing.getByRole('listitem', { name: /crashy keeps crashing/ });
    await waitForText(() => alert.innerText(), /critical[\s\S]*crash_loop[\s\S]*firing/);
    await alert.getByRole('button', { name: /^Acknowledge alert \d+/ }).click();
    await waitForText(() => alert.innerText(), /acknowledged/);
    const stored = await supervisor.client.request<{
      alerts: { key: string; acknowledgedAt: number | null }[];
    }>('GET', '/api/alerts');
    expect(stored.alerts.find((a) => a.key === 'crash_loop:crashy')?.acknowledgedAt).toEqual(
      expect.any(Number),
    );
    await browser.screenshot('alert-acknowledged');
  });

  it('follows a line the server writes within a second, and finds it by search', async () => {
    await go('/servers/chatty/logs');
    const log = page.getByRole('region', { name: 'Log of chatty: lines' });
    await waitForText(() => log.innerText(), /console fixture ready/);
    const marker = `marker-${Date.now().toString(36)}`;
    const session = await mcpSession(supervisor.port, 'chatty');
    const answer = await session.callTool('say', { text: `${marker} written to stderr` });
    const saidAt = performance.now();
    expect(answer).toContain('said');
    await waitForText(() => log.innerText(), marker, {
      timeoutMs: 1_000,
      what: `"${marker}" in the followed log within 1 s`,
    });
    const followMs = performance.now() - saidAt;
    expect(followMs).toBeLessThan(1_000);
    // stderr is labelled and highlighted.
    const line = log.locator('.log-row', { hasText: marker });
    expect(await line.innerText()).toMatch(/stderr/);
    expect(await line.getAttribute('class')).toContain('src-err');
    await page.getByRole('searchbox', { name: 'Search the log' }).fill(marker);
    await waitForText(text('.log-toolbar output'), /1 match/);
    expect(await log.locator('mark').first().innerText()).toBe(marker);
    await browser.screenshot('log-follow-search');
  });

  it('shows a request’s captured arguments and result, with secrets redacted', async () => {
    await go('/requests?tool=say&status=ok');
    const table = page.getByRole('table', { name: 'Requests' });
    // The oldest `say` is the one made at the start, with a token among its arguments.
    const row = table.getByRole('row', { name: /say/ }).last();
    await waitForText(() => row.innerText(), /tools\/call[\s\S]*say[\s\S]*ok/);
    await row.getByRole('button', { name: 'show' }).click();
    const shown = await waitForText(
      () => table.innerText(),
      /Arguments[\s\S]*with a secret[\s\S]*Result[\s\S]*said/,
    );
    expect(shown).toContain('"token": "[redacted]"');
    expect(shown).not.toContain('tok-e2e-secret');
    expect(page.url()).toContain('#/requests?tool=say&status=ok');
    await expectAccessible('/requests with a payload open');
    await browser.screenshot('requests-payload');
  });

  it('shows failed calls in words with their reason: a failed tool call and a server’s error', async () => {
    await go('/requests?tool=fail&status=error');
    const table = page.getByRole('table', { name: 'Requests' });
    const shown = await waitForText(() => table.innerText(), /tool error[\s\S]*bad input/);
    expect(shown).toMatch(/JSON-RPC -\d+[^\n]*[\s\S]*on purpose/);
    await expectAccessible('/requests with failed calls');
    await browser.screenshot('requests-failed');
  });

  it('shows the schema’s own field error when a broken config is validated', async () => {
    await go('/config');
    const editor = page.getByLabel(/Config file/);
    await waitFor(
      async () => ((await editor.inputValue()).includes('"intervalMs": 1000') ? true : undefined),
      {
        what: 'the config in the editor',
      },
    );
    await editor.fill((await editor.inputValue()).replace('"intervalMs": 1000', '"intervalMs": "fast"'));
    await page.getByRole('button', { name: 'Validate' }).click();
    const problems = page.getByRole('list', { name: 'Config problems' });
    await waitForText(
      () => problems.innerText(),
      'supervisor.monitor.intervalMs: expected number, received string',
    );
    await expectAccessible('/config with problems');
    await browser.screenshot('config-invalid');
    await page.getByRole('button', { name: 'Revert' }).click();
  });

  it('creates a client key, shows its token once, and revokes it', async () => {
    await go('/keys');
    await page.getByRole('textbox', { name: 'Name' }).fill('e2e-key');
    await page.getByRole('checkbox', { name: 'memory' }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const token = await waitForText(text('.token'), /^mcps_[A-Za-z0-9_-]{20,}$/);
    const table = page.getByRole('table', { name: 'Client keys' });
    const row = table.getByRole('row', { name: /e2e-key/ });
    await waitForText(() => row.innerText(), /memory/);
    await page.getByRole('button', { name: 'I have saved it' }).click();
    expect(await page.locator('.token').count()).toBe(0);
    expect(await mainText()).not.toContain(token);
    await row.getByRole('button', { name: 'Revoke key e2e-key' }).click();
    await row.getByRole('button', { name: 'Confirm revoke of e2e-key' }).click();
    await waitForText(() => row.innerText(), /revoked/);
    const keys = await supervisor.client.request<{ keys: { name: string; revokedAt: number | null }[] }>(
      'GET',
      '/api/keys',
    );
    expect(keys.keys.find((k) => k.name === 'e2e-key')?.revokedAt).toEqual(expect.any(Number));
  });

  it('works at a phone’s width in the dark theme, keyboard first', async () => {
    const narrow = await launchConsoleBrowser({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    try {
      const small = narrow.page;
      await small.goto(await consoleUrl(supervisor.port, supervisor.paths.tokenFile, '/servers'));
      await waitForText(() => small.locator('main').innerText(), /chatty/);
      expect(await small.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(
        'rgb(15, 18, 22)',
      );
      // The first Tab reaches the skip link, which moves focus to the content.
      await small.keyboard.press('Tab');
      expect(await small.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
      await small.keyboard.press('Enter');
      expect(await small.evaluate(() => document.activeElement?.id)).toBe('main');
      for (const route of ['/servers', '/servers/chatty/logs', '/alerts']) {
        await showRoute(small, route);
        await waitForText(() => small.locator('main h2').innerText(), /\w/);
        await small.waitForTimeout(300);
        const violations = await seriousAxeViolations(small);
        expect(violations, `${route} (narrow, dark): ${JSON.stringify(violations, null, 2)}`).toEqual([]);
        // Nothing but the tables' own boxes scrolls sideways.
        expect(
          await small.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1),
        ).toBe(true);
        await narrow.screenshot(`narrow-dark${route.replaceAll('/', '-')}`);
      }
      expect(await narrow.cspViolations()).toEqual([]);
    } finally {
      await narrow.close();
    }
  });
});
