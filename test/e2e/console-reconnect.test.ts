// biome-ignore-all lint/performance/useDomNodeTextContent: the tests read what a person sees, the rendered text.
/**
 * Stale data is never shown as live: when the supervisor goes away the page says so, since when,
 * greys its data and disables its controls; when it comes back the page is live again by itself.
 * A wrong token reads "token rejected", not "unreachable"; no token says how to get one.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupTempHomes,
  freePort,
  type SupervisorProcess,
  startSupervisorProcess,
  tempHome,
} from '../helpers/index.ts';
import { consoleServers } from './fixtures/index.ts';
import { type ConsoleBrowser, consoleUrl, launchConsoleBrowser, waitForText } from './helpers/browser.ts';

let supervisor: SupervisorProcess;
let browser: ConsoleBrowser;
let page: Page;
let home: string;
let port: number;

const start = (config?: object) =>
  startSupervisorProcess({ home, env: { MCP_SUPERVISOR_PORT: String(port) }, ...(config ? { config } : {}) });

beforeAll(async () => {
  home = (await tempHome()).path;
  // The same port across the restart, as a person's supervisor has (7420 by default).
  port = await freePort();
  supervisor = await start({ mcpServers: { chatty: consoleServers.chatty(home, 'chatty') } });
  browser = await launchConsoleBrowser();
  page = browser.page;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await supervisor?.stop();
  await cleanupTempHomes();
});

describe('console when the supervisor goes away', () => {
  it('says the supervisor is unreachable, greys the data, and is live again when it is back', async () => {
    await page.goto(await consoleUrl(port, supervisor.paths.tokenFile, '/servers'));
    const row = page.getByRole('row', { name: /^chatty/ });
    await waitForText(() => row.innerText(), /online/);
    await waitForText(() => page.getByRole('status').first().innerText(), 'Live');
    const pidBefore = (await supervisor.status()).servers[0]?.pid;

    await supervisor.stop();
    const banner = page.getByRole('alert').filter({ hasText: 'Supervisor unreachable' });
    const said = await waitForText(() => banner.innerText(), /Supervisor unreachable since \d\d:\d\d:\d\d/, {
      timeoutMs: 10_000,
    });
    expect(said).toMatch(/What you see is from \d\d:\d\d:\d\d and is not live/);
    expect(await page.locator('main').getAttribute('class')).toContain('is-stale');
    expect(await row.getByRole('button', { name: 'Stop chatty' }).isDisabled()).toBe(true);
    expect(await page.getByRole('status').first().innerText()).toBe('Unreachable');
    // The rows stay on screen (greyed), never with a live look.
    expect(
      await page.locator('.table-wrap.live-data').evaluate((el) => getComputedStyle(el).filter),
    ).toContain('grayscale');
    await browser.screenshot('reconnect-unreachable');

    supervisor = await start();
    await waitForText(() => page.getByRole('status').first().innerText(), 'Live', { timeoutMs: 30_000 });
    expect(await banner.count()).toBe(0);
    const pidAfter = (
      await supervisor.waitForStatus((s) => s.servers[0]?.state === 'online', 'chatty online')
    ).servers[0]?.pid;
    expect(pidAfter).not.toBe(pidBefore);
    await waitForText(() => row.innerText(), new RegExp(`online[\\s\\S]*${pidAfter}`));
    expect(await row.getByRole('button', { name: 'Stop chatty' }).isEnabled()).toBe(true);
    expect(await page.locator('main').getAttribute('class')).not.toContain('is-stale');
    await browser.screenshot('reconnect-live-again');
  });

  it('tells a rejected token apart from an unreachable supervisor', async () => {
    const other = await browser.context.newPage();
    try {
      await other.goto(`http://127.0.0.1:${port}/ui/#/servers?token=${'0'.repeat(64)}`);
      const alert = other.getByRole('alert');
      const said = await waitForText(() => alert.first().innerText(), /Token rejected/);
      expect(said).toContain('mcp-supervisor dashboard');
      expect(said).not.toMatch(/unreachable/i);
      expect(await other.getByRole('status').first().innerText()).toBe('Token rejected');
    } finally {
      await other.close();
    }
  });

  it('says how to get a token when there is none', async () => {
    const fresh = await launchConsoleBrowser();
    try {
      await fresh.page.goto(`http://127.0.0.1:${port}/ui/`);
      await waitForText(
        () => fresh.page.getByRole('alert').first().innerText(),
        /No control token: open this page from `mcp-supervisor dashboard`/,
      );
    } finally {
      await fresh.close();
    }
  });
});
