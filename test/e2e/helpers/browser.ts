import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT } from '../../helpers/index.ts';

export const CHROMIUM = '/usr/bin/chromium';
/** The flags the project's machines run Chromium with (see TEAM.md). */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** Screenshots of the e2e runs (ignored by git). */
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e');

let isBuilt = false;

/** Builds the console as `npm install` does, so the test runs what the sources say. */
export function buildConsole(): void {
  if (isBuilt) return;
  execFileSync('npm', ['run', '-s', 'build:console'], { cwd: ROOT, stdio: 'pipe' });
  isBuilt = true;
}

export interface ConsoleBrowser {
  context: BrowserContext;
  page: Page;
  /** Content-Security-Policy violations the page reported (must stay empty). */
  cspViolations(): Promise<string[]>;
  /** Errors the page logged or threw. */
  pageErrors: string[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Real Chromium (Debian's, driven by playwright-core) with a fresh profile. Fails with the
 * install command when Chromium is missing: the suite never skips silently.
 */
export async function launchConsoleBrowser(
  options: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {},
): Promise<ConsoleBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}; install it with: apt-get install chromium`);
  }
  buildConsole();
  const profile = await mkdtemp(path.join(os.tmpdir(), 'mcps-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: options.viewport ?? { width: 1400, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
    reducedMotion: 'reduce',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // Chromium logs every 4xx answer as a console error; a 422 is the config check's "invalid",
    // which the page shows in words. Anything else is an error of the page.
    if (message.type() === 'error' && !/status of 422 \(Unprocessable Entity\)/.test(message.text())) {
      pageErrors.push(message.text());
    }
  });
  await context.addInitScript(() => {
    const found: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = found;
    document.addEventListener('securitypolicyviolation', (event) => {
      found.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  await mkdir(ARTIFACTS, { recursive: true });
  return {
    context,
    page,
    pageErrors,
    cspViolations: () => page.evaluate(() => [...(window as unknown as { __csp: string[] }).__csp]),
    screenshot: async (name) => {
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

let axeSource: string | undefined;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * Runs axe-core on the page as it is and returns the serious and critical violations. axe is
 * evaluated through the DevTools protocol, which the page's CSP does not govern (the page itself
 * may load no script but its own).
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await readFile(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (context: unknown, options: unknown) => Promise<{ violations: unknown[] }> };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations as {
      id: string;
      impact: string | null;
      help: string;
      nodes: { target: string[] }[];
    }[];
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
    }));
}

/**
 * Shows a console route (`/servers/chatty`) by changing the fragment, as the page's own links do:
 * the page stays loaded, with its streams and state.
 */
export async function showRoute(page: Page, route: string): Promise<void> {
  await page.evaluate((hash) => {
    window.location.hash = hash;
  }, `#${route}`);
}

/**
 * Closes the browser and returns what the page did wrong while it was open: Content-Security-
 * Policy violations and errors it logged or threw (both must stay empty).
 */
export async function closeConsoleBrowser(
  browser: ConsoleBrowser | undefined,
): Promise<{ csp: string[]; errors: string[] }> {
  if (!browser) return { csp: [], errors: [] };
  const csp = await browser.cspViolations().catch(() => []);
  await browser.close();
  return { csp, errors: browser.pageErrors };
}

/** The console's URL for a route, with the home's control token in the fragment. */
export async function consoleUrl(port: number, tokenFile: string, route = '/servers'): Promise<string> {
  const token = (await readFile(tokenFile, 'utf8')).trim();
  return `http://127.0.0.1:${port}/ui/#${route}?token=${token}`;
}

/**
 * Waits until `read()` (what a person sees: text of a locator) matches `pattern`; fails with the
 * last text seen. Polls every 50 ms.
 */
export async function waitForText(
  read: () => Promise<string>,
  pattern: RegExp | string,
  options: { timeoutMs?: number; what?: string } = {},
): Promise<string> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let last = '';
  while (Date.now() < deadline) {
    last = await read().catch(() => '');
    if (typeof pattern === 'string' ? last.includes(pattern) : pattern.test(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `timed out after ${options.timeoutMs ?? 15_000} ms waiting for ${options.what ?? String(pattern)}; last seen: ${last.slice(0, 800)}`,
  );
}
