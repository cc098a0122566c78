/**
 * Runs the official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in
 * package.json) against one URL through its CLI, and reads back every check it recorded.
 *
 * The CLI is the suite's supported entry: it writes one `checks.json` per scenario under
 * `--output-dir`, which is what we parse (the console summary is for people). The suite needs
 * Node ≥ 22, so it is run with `process.execPath` (the Node 24 of npm scripts and vitest).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { packageFile } from '../../helpers/paths.ts';

export const CONFORMANCE_CLI = packageFile('@modelcontextprotocol/conformance', 'dist/index.js');

/** One check as the suite writes it to `checks.json`. */
export interface ConformanceCheck {
  id: string;
  name: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED' | string;
  errorMessage?: string;
}

/** What one run of the suite against one URL recorded, per scenario. */
export interface ConformanceRun {
  url: string;
  /** Scenario name (e.g. `tools-list`) → its checks, in the suite's order. */
  scenarios: Map<string, ConformanceCheck[]>;
  /** The CLI's exit code (non-zero whenever a check failed; not an error of the harness). */
  exitCode: number | null;
}

export interface RunOptions {
  /** Suite selection passed through, e.g. `['--suite', 'all']` or `['--requirements', '2026-07-28']`. */
  selection?: string[];
  /** Per-scenario timeout of the suite (its `--timeout`). */
  scenarioTimeoutMs?: number;
  /** Bound on the whole run; the CLI is killed past it. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Runs the suite's server scenarios against `url` and returns every recorded check. */
export async function runConformance(url: string, options: RunOptions = {}): Promise<ConformanceRun> {
  const outputDir = await mkdtemp(path.join(os.tmpdir(), 'mcps-conformance-'));
  try {
    const args = [
      CONFORMANCE_CLI,
      'server',
      '--url',
      url,
      '--output-dir',
      outputDir,
      '--timeout',
      String(options.scenarioTimeoutMs ?? 15_000),
      ...(options.selection ?? []),
    ];
    const exitCode = await runCli(args, options.timeoutMs ?? 300_000, options.signal);
    return { url, scenarios: await readResults(outputDir), exitCode };
  } finally {
    await rm(outputDir, { recursive: true, force: true });
  }
}

function runCli(args: string[], timeoutMs: number, signal?: AbortSignal): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], signal });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, killedBy) => {
      clearTimeout(timer);
      if (killedBy) reject(new Error(`the conformance CLI was killed (${killedBy}); stderr: ${stderr}`));
      else resolve(code);
    });
  });
}

/** Results dirs are `server-<scenario>-<ISO timestamp>`; the scenario is what lies between. */
const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/;

async function readResults(outputDir: string): Promise<Map<string, ConformanceCheck[]>> {
  const scenarios = new Map<string, ConformanceCheck[]>();
  for (const entry of (await readdir(outputDir)).sort()) {
    const scenario = RESULT_DIR.exec(entry)?.[1];
    if (scenario === undefined) continue;
    // A scenario that crashed or timed out before writing its checks counts as one failure.
    const text = await readFile(path.join(outputDir, entry, 'checks.json'), 'utf8').catch(() => undefined);
    const missing: ConformanceCheck = {
      id: 'no-checks-recorded',
      name: scenario,
      status: 'FAILURE',
      errorMessage: 'the scenario wrote no checks.json',
    };
    scenarios.set(scenario, text === undefined ? [missing] : (JSON.parse(text) as ConformanceCheck[]));
  }
  return scenarios;
}

/** `scenario:checkId` of every passed check: the unit the gateway's runs are compared in. */
export function passSet(run: ConformanceRun): Set<string> {
  const passed = new Set<string>();
  for (const [scenario, checks] of run.scenarios) {
    for (const check of checks) if (check.status === 'SUCCESS') passed.add(`${scenario}:${check.id}`);
  }
  return passed;
}

/** Passed and failed check counts (the suite's own "Total: N passed, M failed" line). */
export function totals(run: ConformanceRun): { passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  for (const checks of run.scenarios.values()) {
    for (const check of checks) {
      if (check.status === 'SUCCESS') passed += 1;
      else if (check.status === 'FAILURE') failed += 1;
    }
  }
  return { passed, failed };
}

/** Checks that pass in `reference` but not in `candidate`, with the candidate's failure message. */
export function lostChecks(reference: ConformanceRun, candidate: ConformanceRun): Map<string, string> {
  const candidatePassed = passSet(candidate);
  const lost = new Map<string, string>();
  for (const key of [...passSet(reference)].sort()) {
    if (candidatePassed.has(key)) continue;
    const [scenario, id] = splitKey(key);
    const check = candidate.scenarios.get(scenario)?.find((c) => c.id === id);
    lost.set(key, check ? `${check.status}: ${check.errorMessage ?? ''}`.trim() : 'not recorded');
  }
  return lost;
}

/** Checks that pass in `candidate` but not in `reference`. */
export function gainedChecks(reference: ConformanceRun, candidate: ConformanceRun): string[] {
  const referencePassed = passSet(reference);
  return [...passSet(candidate)].filter((key) => !referencePassed.has(key)).sort();
}

function splitKey(key: string): [string, string] {
  const at = key.indexOf(':');
  return [key.slice(0, at), key.slice(at + 1)];
}

/** A short human report of a run: totals, then each failed check with its message. */
export function describeRun(label: string, run: ConformanceRun): string {
  const { passed, failed } = totals(run);
  const lines = [`${label} (${run.url}): ${passed} passed, ${failed} failed`];
  for (const [scenario, checks] of run.scenarios) {
    for (const check of checks) {
      if (check.status !== 'FAILURE') continue;
      lines.push(`  ✗ ${scenario}:${check.id} — ${(check.errorMessage ?? '').slice(0, 160)}`);
    }
  }
  return lines.join('\n');
}
