// biome-ignore-all lint/performance/useDomNodeTextContent: the tests read what a person sees, the rendered text.
/**
 * A desktop user's first ten minutes from the console's Clients view, in real Chromium against a
 * real supervisor whose HOME holds a Cursor and a Claude Desktop config: preview the import from
 * Cursor, import it (the server appears in the servers view and comes online), set Claude
 * Desktop up (its file now has the connect entry, the servers we run moved out, a backup made),
 * remove it (the file is back byte for byte) — with axe on the view, light and wide, dark and narrow.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'jsonc-parser';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupTempHomes,
  type SupervisorProcess,
  startSupervisorProcess,
  tempHome,
  testServers,
} from '../helpers/index.ts';
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
let cursorFile: string;
let claudeFile: string;
let claudeText: string;

const mainText = () => page.locator('main').innerText();
const panel = (name: string) => page.getByRole('region', { name, exact: true });

async function expectNoSeriousViolations(on: Page, what: string): Promise<void> {
  const violations = await seriousAxeViolations(on);
  expect(violations, `${what}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
}

beforeAll(async () => {
  home = (await tempHome()).path;
  const userHome = path.join(home, 'user');
  const xdgConfig = path.join(userHome, '.config');
  cursorFile = path.join(userHome, '.cursor', 'mcp.json');
  claudeFile = path.join(xdgConfig, 'Claude', 'claude_desktop_config.json');
  const memory = testServers.memory(home, 'memory');
  await mkdir(path.dirname(cursorFile), { recursive: true });
  await writeFile(
    cursorFile,
    `{\n  // Cursor's global MCP servers\n  "mcpServers": { "memory": ${JSON.stringify(memory)} }\n}\n`,
  );
  // Claude Desktop runs the same memory server, and has settings of its own.
  claudeText = `${JSON.stringify({ mcpServers: { memory }, globalShortcut: 'Ctrl+Space' }, null, 2)}\n`;
  await mkdir(path.dirname(claudeFile), { recursive: true });
  await writeFile(claudeFile, claudeText);
  supervisor = await startSupervisorProcess({
    home,
    env: { HOME: userHome, XDG_CONFIG_HOME: xdgConfig },
    config: { mcpServers: { everything: testServers.everythingStdio(home, 'everything') } },
  });
  browser = await launchConsoleBrowser();
  page = browser.page;
  await page.goto(await consoleUrl(supervisor.port, supervisor.paths.tokenFile, '/clients'));
  await waitForText(mainText, /Cursor[\s\S]*found, 1 server/);
}, 120_000);

afterAll(async () => {
  const { csp, errors } = await closeConsoleBrowser(browser);
  await supervisor?.stop();
  await cleanupTempHomes();
  expect(csp, 'Content-Security-Policy violations').toEqual([]);
  expect(errors, 'errors the page logged').toEqual([]);
});

describe('console: import and client setup (Chromium)', () => {
  it('lists the clients with their files and states', async () => {
    expect(await page.locator('main h2').innerText()).toBe('Clients');
    const nav = page.getByRole('navigation', { name: 'Sections' });
    expect(await nav.getByRole('link', { name: 'Clients' }).getAttribute('aria-current')).toBe('page');
    const cursor = panel('Cursor');
    expect(await cursor.innerText()).toContain(cursorFile);
    expect(await cursor.innerText()).toMatch(/An import would add 1\./);
    expect(await panel('Claude Desktop').innerText()).toMatch(/Not set up to use the supervisor/);
    expect(await panel('VS Code').innerText()).toMatch(/no file/);
    await expectNoSeriousViolations(page, '/clients');
  });

  it('previews the import from Cursor as a table, then imports it: the server comes online', async () => {
    const cursor = panel('Cursor');
    await cursor.getByRole('button', { name: 'Preview import from Cursor' }).click();
    const plan = cursor.getByRole('table', { name: 'Import plan from Cursor' });
    await waitForText(() => plan.innerText(), /memory\s+add\s/);
    expect(await plan.innerText()).toContain(
      path.basename(testServers.memory(home, 'memory').args[0] as string),
    );
    await expectNoSeriousViolations(page, '/clients with an import plan');
    await browser.screenshot('clients-import-plan');

    // Keyboard: the import button is reached and pressed without the mouse.
    const apply = cursor.getByRole('button', { name: `Import into ${supervisor.paths.configFile}` });
    await apply.focus();
    await page.keyboard.press('Enter');
    const result = cursor.getByRole('status');
    await waitForText(() => result.innerText(), /Reloaded: added memory/);
    expect(await result.innerText()).toMatch(/backup: .*config\.json\.[^ ]+\.bak/);
    // The imported server's state, live: it comes online.
    await waitForText(
      () => cursor.getByRole('list', { name: 'Imported servers' }).innerText(),
      /memory\s+online/,
      {
        timeoutMs: 60_000,
      },
    );
    await showRoute(page, '/servers');
    await waitForText(() => page.getByRole('row', { name: /^memory/ }).innerText(), /online/);
    expect(await page.getByRole('row', { name: /^everything/ }).innerText()).toMatch(/online/);
  });

  it('sets Claude Desktop up: the connect entry is written, memory moved out, a backup kept', async () => {
    await showRoute(page, '/clients');
    const claude = panel('Claude Desktop');
    await waitForText(() => claude.innerText(), /found, 1 server/);
    await claude.getByRole('button', { name: 'Set up Claude Desktop', exact: true }).click();
    const form = claude.getByRole('form', { name: 'Set up Claude Desktop' });
    expect(await form.getByRole('checkbox', { name: /Move the servers/ }).isChecked()).toBe(true);
    expect(await form.getByRole('combobox', { name: 'Reaches' }).inputValue()).toBe('');
    // Preview first: what would be written, and nothing is.
    await form.getByRole('button', { name: 'Preview' }).click();
    const setupPlan = claude.getByRole('region', { name: 'Setup plan for Claude Desktop' });
    await waitForText(() => setupPlan.innerText(), /Would write “mcp-supervisor” into[\s\S]*move out memory/);
    expect(await readFile(claudeFile, 'utf8')).toBe(claudeText);
    await expectNoSeriousViolations(page, '/clients with the setup form and its plan');
    await form.getByRole('button', { name: 'Write the entry' }).click();
    const done = claude.getByRole('status');
    const text = await waitForText(() => done.innerText(), /Wrote “mcp-supervisor” into/);
    expect(text).toMatch(/Moved out: memory\. Restart Claude Desktop to use it\./);
    const backup = /\(backup: ([^)]+)\)/.exec(text)?.[1];
    expect(backup, text).toBeDefined();
    expect(await readFile(backup as string, 'utf8')).toBe(claudeText);

    const doc = parse(await readFile(claudeFile, 'utf8')) as {
      mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }>;
      globalShortcut: string;
    };
    expect(Object.keys(doc.mcpServers)).toEqual(['mcp-supervisor']);
    expect(doc.globalShortcut).toBe('Ctrl+Space');
    const entry = doc.mcpServers['mcp-supervisor'];
    expect(path.isAbsolute(entry?.command ?? '')).toBe(true);
    expect(entry?.args.slice(-3)).toEqual(['--home', home, 'connect']);
    // The page shows what was written, never the key itself.
    const shown = await claude.locator('pre').innerText();
    expect(shown).toContain('"connect"');
    expect(shown).not.toContain(entry?.env.MCP_SUPERVISOR_KEY);
    await waitForText(
      () => claude.innerText(),
      /Set up: entry “mcp-supervisor” reaches all servers with key “claude”/,
    );
    await expectNoSeriousViolations(page, '/clients after setup');
    await browser.screenshot('clients-set-up');
  });

  it('removes the setup: the file is as it was, the key revoked', async () => {
    const claude = panel('Claude Desktop');
    await claude.getByRole('button', { name: 'Remove setup of Claude Desktop' }).click();
    await waitForText(
      () => claude.getByRole('status').innerText(),
      /restored as it was before setup.*Its key is revoked/,
    );
    expect(await readFile(claudeFile, 'utf8')).toBe(claudeText);
    await waitForText(() => claude.innerText(), /Not set up to use the supervisor/);
    const keys = await supervisor.client.request<{ keys: { name: string; revokedAt: number | null }[] }>(
      'GET',
      '/api/keys',
    );
    expect(keys.keys.find((k) => k.name === 'claude')?.revokedAt).toEqual(expect.any(Number));
    expect(existsSync(cursorFile)).toBe(true);
  });

  it('works at a phone’s width in the dark theme', async () => {
    const narrow = await launchConsoleBrowser({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    try {
      await narrow.page.goto(await consoleUrl(supervisor.port, supervisor.paths.tokenFile, '/clients'));
      const cursor = narrow.page.getByRole('region', { name: 'Cursor', exact: true });
      await waitForText(() => cursor.innerText(), /found, 1 server/);
      await cursor.getByRole('button', { name: 'Preview import from Cursor' }).click();
      await waitForText(() => cursor.getByRole('table').innerText(), /memory\s+already there/);
      await expectNoSeriousViolations(narrow.page, '/clients (narrow, dark)');
      expect(
        await narrow.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1),
      ).toBe(true);
      await narrow.screenshot('narrow-dark-clients');
      expect(await narrow.cspViolations()).toEqual([]);
      expect(narrow.pageErrors).toEqual([]);
    } finally {
      await narrow.close();
    }
  });
  it('shows a failure inline with the supervisor’s message, and writes nothing', async () => {
    await showRoute(page, '/clients');
    const cursor = panel('Cursor');
    await waitForText(() => cursor.innerText(), /found, 1 server/);
    // The file breaks after the page listed it: the preview says where, in the supervisor's words.
    await writeFile(cursorFile, '{ "mcpServers": { "memory": { "command": "x", } \n');
    const config = await readFile(supervisor.paths.configFile, 'utf8');
    await cursor.getByRole('button', { name: 'Preview import from Cursor' }).click();
    await waitForText(() => cursor.getByRole('alert').innerText(), /mcp\.json:\d+:\d+/);
    expect(await readFile(supervisor.paths.configFile, 'utf8')).toBe(config);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await waitForText(() => cursor.innerText(), /malformed/);
    expect(await cursor.getByRole('button', { name: 'Preview import from Cursor' }).isDisabled()).toBe(true);
  });
});
