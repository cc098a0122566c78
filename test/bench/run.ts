/**
 * `npm run bench`: runs every bench that exists, one after the other, and writes
 * bench-results/results.json (everything) and bench-results/results.md (tables, targets met or not,
 * machine info). A bench that fails or is not written yet is recorded as such; the others still run.
 * `npm run bench -- cluster gateway` runs only the benches named.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterBenchResults } from './cluster-bench.ts';
import { formatGatewayTable, type GatewayBenchResults } from './gateway-bench.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT_DIR = path.join(ROOT, 'bench-results');

type BenchOutcome =
  | { status: 'ok'; elapsedMs: number; results: unknown }
  | { status: 'failed'; elapsedMs: number; error: string }
  | { status: 'missing'; note: string };

type BenchEntry = { name: string; file: string; exportName: string; options?: object };

const BENCHES: BenchEntry[] = [
  { name: 'limits', file: './limits-bench.ts', exportName: 'runLimitsBench' },
  { name: 'store', file: './store-bench.ts', exportName: 'runStoreBench' },
  { name: 'core', file: './core-bench.ts', exportName: 'runCoreBench' },
  { name: 'gateway', file: './gateway-bench.ts', exportName: 'runGatewayBench' },
  { name: 'console', file: './console-bench.ts', exportName: 'runConsoleBench' },
  { name: 'memory', file: './memory-bench.ts', exportName: 'runMemoryBench' },
  { name: 'cluster', file: './cluster-bench.ts', exportName: 'runClusterBench' },
];

function isModuleMissing(error: unknown, file: string): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(path.basename(file));
}

async function runOne(entry: BenchEntry): Promise<BenchOutcome> {
  let module: Record<string, unknown>;
  try {
    module = (await import(entry.file)) as Record<string, unknown>;
  } catch (error) {
    if (isModuleMissing(error, entry.file)) {
      return { status: 'missing', note: `test/bench/${path.basename(entry.file)} does not exist yet` };
    }
    return { status: 'failed', elapsedMs: 0, error: (error as Error).stack ?? String(error) };
  }
  const run = module[entry.exportName];
  if (typeof run !== 'function') {
    return {
      status: 'missing',
      note: `test/bench/${path.basename(entry.file)} has no export ${entry.exportName}`,
    };
  }
  const startedAt = performance.now();
  try {
    const results = await (run as (options?: object) => Promise<unknown>)(entry.options);
    return { status: 'ok', elapsedMs: Math.round(performance.now() - startedAt), results };
  } catch (error) {
    return {
      status: 'failed',
      elapsedMs: Math.round(performance.now() - startedAt),
      error: (error as Error).stack ?? String(error),
    };
  }
}

/** A Markdown table of an array of flat objects (nested values as JSON). */
function table(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return '_(no rows)_';
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (value: unknown) =>
    (typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value ?? '')).replaceAll(
      '|',
      '\\|',
    );
  return [
    `| ${columns.join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${columns.map((column) => cell(row[column])).join(' | ')} |`),
  ].join('\n');
}

/** Renders one bench's results: its tables when their shape is known, else the JSON. */
function renderResults(name: string, results: unknown): string {
  if (name === 'gateway') return renderGateway(results as GatewayBenchResults);
  if (name === 'cluster') return renderCluster(results as ClusterBenchResults);
  const parts: string[] = [];
  const record = results as Record<string, unknown>;
  const scalars = Object.entries(record).filter(([, value]) => typeof value !== 'object' || value === null);
  if (scalars.length > 0) parts.push(scalars.map(([key, value]) => `- ${key}: ${String(value)}`).join('\n'));
  for (const [key, value] of Object.entries(record)) {
    if (Array.isArray(value) && value.every((row) => typeof row === 'object' && row !== null)) {
      parts.push(`**${key}**\n\n${table(value as Record<string, unknown>[])}`);
    } else if (typeof value === 'object' && value !== null) {
      parts.push(`**${key}**\n\n\`\`\`json\n${JSON.stringify(value, null, 2)}\n\`\`\``);
    }
  }
  return parts.join('\n\n');
}

function renderCluster(results: ClusterBenchResults): string {
  const parts = [`${results.redis}`, '**The guard alone** (trivial tasks; µs)', table(results.cases)];
  const gateway = results.gateway;
  if (gateway) {
    parts.push(
      '**Through the gateway** (`/mcp/everything`, echo; medians of interleaved rounds)',
      table(gateway.cases),
      '**Added by the cluster** (clustered − local)',
      table(gateway.added),
      Object.entries(gateway.method)
        .map(([key, value]) => `- ${key}: ${value}`)
        .join('\n'),
    );
  }
  return parts.join('\n\n');
}

function renderGateway(results: GatewayBenchResults): string {
  const parts = [
    formatGatewayTable(results),
    '**Targets**',
    table(
      results.targets.map((target) => ({
        target: target.name,
        value: `${target.value} ${target.unit}`,
        goal: target.goal,
        result: target.isMet ? 'PASS' : 'FAIL',
      })),
    ),
    `Supervisor RSS: ${Math.round((results.supervisorRssBytes.afterStart ?? 0) / 2 ** 20)} MB once started, ${Math.round((results.supervisorRssBytes.afterRounds ?? 0) / 2 ** 20)} MB after the timed rounds.`,
    '**Method**',
    Object.entries(results.method)
      .map(([key, value]) => `- ${key}: ${value}`)
      .join('\n'),
  ];
  const flood = results.flood;
  if ('requests' in flood) {
    parts.push(
      `**${flood.requests} concurrent requests** (${flood.path}, ${flood.sockets} pipelined sockets, ${flood.sessions} sessions; limits ${JSON.stringify(flood.limits)})`,
      table([
        {
          results: flood.results,
          refusals: flood.refusals,
          'other errors': flood.otherErrors,
          hangs: flood.hangs,
          broken: flood.broken,
          'total ms': flood.totalMs,
          'first/last answer ms': `${flood.firstAnswerMs} / ${flood.lastAnswerMs}`,
          'RSS before MB': Math.round((flood.rssBeforeBytes ?? 0) / 2 ** 20),
          'peak RSS MB': Math.round(flood.peakRssBytes / 2 ** 20),
          'RSS 2 s after MB': Math.round((flood.rssAfterBytes ?? 0) / 2 ** 20),
          'alive after': flood.isAliveAfter,
          '/health after': flood.healthAfter,
          'echo after': flood.isEchoOkAfter,
          result: flood.isPassed ? 'PASS' : 'FAIL',
        },
      ]),
    );
  } else parts.push(`**Flood**: ${'skipped' in flood ? flood.skipped : `failed: ${flood.error}`}`);
  if (results.leftovers.length > 0) {
    parts.push(`**Processes killed after the clean stop**\n\n${results.leftovers.join('\n')}`);
  }
  return parts.join('\n\n');
}

export async function runAllBenches(only: readonly string[] = []): Promise<Record<string, BenchOutcome>> {
  const outcomes: Record<string, BenchOutcome> = {};
  const unknown = only.filter((name) => !BENCHES.some((entry) => entry.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `no bench named ${unknown.join(', ')}; the benches: ${BENCHES.map((e) => e.name).join(', ')}`,
    );
  }
  for (const entry of BENCHES.filter((e) => only.length === 0 || only.includes(e.name))) {
    process.stderr.write(`bench ${entry.name}…\n`);
    outcomes[entry.name] = await runOne(entry);
    process.stderr.write(`bench ${entry.name}: ${outcomes[entry.name]?.status}\n`);
  }
  return outcomes;
}

const machine = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  loadAverageAtStart: os.loadavg().map((load) => Math.round(load * 100) / 100),
};
const outcomes = await runAllBenches(process.argv.slice(2));
const report = { machine: { ...machine, loadAverageAtEnd: os.loadavg() }, benches: outcomes };
await mkdir(OUT_DIR, { recursive: true });
await writeFile(path.join(OUT_DIR, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);

const markdown = [
  '# mcp-supervisor benchmarks',
  '',
  `${machine.date} · Node ${machine.node} · ${machine.platform} · ${machine.cpus} × ${machine.cpuModel} · ${machine.memoryGiB} GiB · load average at start ${machine.loadAverageAtStart.join(' / ')}`,
  '',
  'Figures from a shared machine are noisy: compare ratios and CPU per request rather than absolute rates.',
  '',
];
for (const [name, outcome] of Object.entries(outcomes)) {
  markdown.push(`## ${name}`, '');
  if (outcome.status === 'ok') {
    markdown.push(`_${outcome.elapsedMs} ms_`, '', renderResults(name, outcome.results), '');
  } else if (outcome.status === 'missing') markdown.push(`Skipped: ${outcome.note}.`, '');
  else markdown.push('FAILED:', '', '```', outcome.error, '```', '');
}
await writeFile(path.join(OUT_DIR, 'results.md'), markdown.join('\n'));
process.stderr.write(`wrote ${path.relative(ROOT, OUT_DIR)}/results.json and results.md\n`);
const hasFailed = Object.values(outcomes).some((outcome) => outcome.status === 'failed');
process.exitCode = hasFailed ? 1 : 0;
