/**
 * Self time of a V8 `.cpuprofile` (`node --cpu-prof`, e.g. `floor-ab.ts --prof DIR`) by module
 * and by function, optionally per request:
 *
 *   node test/bench/cpu-profile-summary.ts FILE [--top 40] [--requests N]
 *
 * A profile samples wall time on the JS thread: a system call (a socket or pipe write that wakes
 * another process) counts with the time the process waited to run again, so on a loaded machine
 * the native write functions look larger than their CPU; JS functions are mostly CPU. V8's own
 * builtins (JSON.parse, JSON.stringify) count as self time of the function calling them.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '40' }, requests: { type: 'string' } },
});
const file = positionals[0];
if (!file) {
  process.stderr.write('usage: node test/bench/cpu-profile-summary.ts FILE [--top N] [--requests N]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

/** A path inside the repository or a package (`nm/<package>/…`), or Node's own `node:…`. */
function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\/.*?\/node_modules\//, 'nm/')
    .replace(/^file:\/\/.*?\/(supervisor|test)\//, '$1/');
}

function moduleOf(url: string): string {
  const short = shortUrl(url);
  if (!short.startsWith('nm/')) return short;
  return short
    .split('/')
    .slice(0, short.startsWith('nm/@') ? 3 : 2)
    .join('/');
}

const byModule = new Map<string, number>();
const byFunction = new Map<string, number>();
let totalUs = 0;
for (const [id, us] of selfUs) {
  const frame = (nodes.get(id) as ProfileNode).callFrame;
  const module = moduleOf(frame.url) || frame.functionName;
  const name = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
  byModule.set(module, (byModule.get(module) ?? 0) + us);
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  totalUs += us;
}

const requests = values.requests === undefined ? undefined : Number(values.requests);
function print(title: string, table: Map<string, number>): void {
  console.log(`\n${title} (total ${Math.round(totalUs / 1000)} ms)`);
  for (const [key, us] of [...table].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
    const share = `${((us / totalUs) * 100).toFixed(1)}%`.padStart(6);
    const perRequest = requests ? `  ${(us / requests).toFixed(1).padStart(6)} µs/request` : '';
    console.log(`${share} ${String(Math.round(us / 1000)).padStart(7)} ms${perRequest}  ${key}`);
  }
}
print('self time by module', byModule);
print('self time by function', byFunction);
