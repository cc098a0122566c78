import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.ts';

/**
 * The layering rules of DESIGN.md ("Target layout"), checked on the sources: folders of
 * `supervisor/` never import each other both ways, the ground floor imports nothing above it, and
 * the desktop app and the console reach the supervisor only through `supervisor/client/` (and
 * the ground floor's `supervisor/shared/`). Type-only imports count: they are dependencies too.
 */

interface ImportEdge {
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'vendor') out.push(...sourceFiles(full));
    } else if (/\.(ts|tsx|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      out.push(full);
    }
  }
  return out;
}

const IMPORT_PATTERNS = [
  /^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/gms,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** Every module a file imports (static, re-export, side-effect or dynamic with a literal). */
function importsOf(text: string): string[] {
  const specifiers = new Set<string>();
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of text.matchAll(pattern)) specifiers.add(match[1] as string);
  }
  return [...specifiers];
}

/** Resolved project files (repo-relative) that `file` imports; packages and node: builtins left out. */
function projectImportsOf(file: string): string[] {
  return importsOf(readFileSync(file, 'utf8'))
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => path.relative(ROOT, path.resolve(path.dirname(file), specifier)));
}

/** `supervisor/<folder>/…` → `<folder>`; a file directly under supervisor/ → its own name. */
function folderOf(repoPath: string): string | undefined {
  const parts = repoPath.split(path.sep);
  if (parts[0] !== 'supervisor') return undefined;
  return parts.length > 2 ? (parts[1] as string) : `(root)/${parts[1]}`;
}

function supervisorEdges(): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(path.join(ROOT, 'supervisor'))) {
    const from = path.relative(ROOT, file);
    for (const to of projectImportsOf(file)) edges.push({ from, to });
  }
  return edges;
}

/** Strongly connected components of the folder graph with more than one folder (Tarjan). */
function folderCycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    indexOf.set(node, index);
    low.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indexOf.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, indexOf.get(next) as number));
      }
    }
    if (low.get(node) === indexOf.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indexOf.has(node)) visit(node);
  return cycles;
}

function folderGraph(edges: readonly ImportEdge[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === undefined || b === undefined || a === b) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    if (!graph.has(b)) graph.set(b, new Set());
    graph.get(a)?.add(b);
  }
  return graph;
}

/** One `a → b (file → file)` line per folder edge inside a cycle, so a failure says what to undo. */
function describeCycle(cycle: readonly string[], edges: readonly ImportEdge[]): string {
  const members = new Set(cycle);
  const examples = new Map<string, string>();
  for (const { from, to } of edges) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === b || a === undefined || b === undefined || !members.has(a) || !members.has(b)) continue;
    if (!examples.has(`${a} → ${b}`)) examples.set(`${a} → ${b}`, `${from} → ${to}`);
  }
  const lines = [...examples].map(([edge, example]) => `  ${edge}  (${example})`);
  return `${cycle.join(' ↔ ')}:\n${lines.sort().join('\n')}`;
}

/** Files under `dir` whose imports leave the allowed prefixes (repo-relative). */
function importsOutside(dir: string, allowed: readonly string[]): string[] {
  const offending: string[] = [];
  for (const file of sourceFiles(path.join(ROOT, dir))) {
    const text = readFileSync(file, 'utf8');
    for (const specifier of importsOf(text)) {
      const isBuiltinOrPackage = !specifier.startsWith('.');
      if (isBuiltinOrPackage) continue;
      const target = path.relative(ROOT, path.resolve(path.dirname(file), specifier));
      if (!allowed.some((prefix) => target === prefix || target.startsWith(`${prefix}/`))) {
        offending.push(`${path.relative(ROOT, file)} → ${target}`);
      }
    }
  }
  return offending;
}

/**
 * The one module of `supervisor/` beyond client/ and shared/ the desktop app may import: import
 * and client setup, which the issue asks to be one implementation for the CLI, the tray and the
 * console. It is file logic plus the control client (checked below), no supervisor state.
 */
const MCP_CLIENTS_SURFACE = 'supervisor/mcp-clients/index.ts';

/** Past this a file must say at its top why it is not split ("over 400 lines because …"). */
const MAX_LINES = 400;

const GROUND_FLOOR: Record<string, readonly string[]> = {
  // Nothing of the project: every other folder may import it.
  'supervisor/shared': ['supervisor/shared'],
  // The one listener and the client use only the ground floor below them.
  'supervisor/http': ['supervisor/http', 'supervisor/shared'],
  'supervisor/client': ['supervisor/client', 'supervisor/shared'],
};

describe('layout of supervisor/', () => {
  it('finds a folder cycle when there is one (the checker itself)', () => {
    const graph = folderGraph([
      { from: 'supervisor/a/x.ts', to: 'supervisor/b/y.ts' },
      { from: 'supervisor/b/y.ts', to: 'supervisor/c/z.ts' },
      { from: 'supervisor/c/z.ts', to: 'supervisor/a/w.ts' },
      { from: 'supervisor/c/z.ts', to: 'supervisor/d/v.ts' },
    ]);
    expect(folderCycles(graph)).toEqual([['a', 'b', 'c']]);
    expect(
      importsOf("import type { A } from './a.ts';\nexport { b } from '../b.ts';\nawait import('./c.ts');"),
    ).toEqual(['./a.ts', '../b.ts', './c.ts']);
  });

  it('has no folder that imports a folder that imports it back', () => {
    const edges = supervisorEdges();
    const cycles = folderCycles(folderGraph(edges));
    expect(cycles.map((cycle) => describeCycle(cycle, edges))).toEqual([]);
  });

  it('keeps the ground floor (shared/, http/, client/) free of the floors above it', () => {
    const offending = Object.entries(GROUND_FLOOR).flatMap(([dir, allowed]) => importsOutside(dir, allowed));
    expect(offending).toEqual([]);
  });

  it('lets app/ and renderer/ reach the supervisor only through supervisor/client/ and shared/', () => {
    const reachable = ['supervisor/client', 'supervisor/shared'];
    // The tray imports and sets clients up with the CLI's own code, through its public surface.
    expect(importsOutside('app', ['app', MCP_CLIENTS_SURFACE, ...reachable])).toEqual([]);
    // The console may use the control API's wire types and the app's IPC contract, nothing else.
    expect(importsOutside('renderer', ['renderer', 'app/ipc-contract.ts', ...reachable])).toEqual([]);
  });

  it('keeps supervisor/mcp-clients/ a client-side library: files, the config schema, the control client', () => {
    // What makes it safe for the desktop app (and the CLI) to run in their own process: it holds
    // no supervisor state and reaches a running supervisor only through its control API. Keys
    // go straight to the home's database only when no supervisor runs (store/ is its owner).
    expect(
      importsOutside('supervisor/mcp-clients', [
        'supervisor/mcp-clients',
        'supervisor/client',
        'supervisor/shared',
        'supervisor/config',
        'supervisor/store/client-keys.ts',
        'supervisor/store/db.ts',
      ]),
    ).toEqual([]);
  });

  it('never imports electron under supervisor/, nor Node or Electron under renderer/', () => {
    const electronUsers = sourceFiles(path.join(ROOT, 'supervisor'))
      .filter((file) => importsOf(readFileSync(file, 'utf8')).includes('electron'))
      .map((file) => path.relative(ROOT, file));
    expect(electronUsers).toEqual([]);
    const nodeInRenderer = sourceFiles(path.join(ROOT, 'renderer')).filter((file) =>
      importsOf(readFileSync(file, 'utf8')).some((s) => s === 'electron' || s.startsWith('node:')),
    );
    expect(nodeInRenderer).toEqual([]);
  });

  it('takes node:http values only from shared/node-http.ts (an ESM import of it loads undici)', () => {
    // `import type` is free; a value import builds node:http's ESM namespace, whose lazy
    // WebSocket-family getters load Node's bundled undici: ~4 MiB of the supervisor's idle RSS.
    const valueImport = /^\s*import\s+(?!type\b)[^;]*?\bfrom\s*['"]node:http['"]/m;
    const importers = sourceFiles(path.join(ROOT, 'supervisor'))
      .filter((file) => valueImport.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(ROOT, file));
    expect(importers).toEqual([]);
  });

  it(`says at the top of every file over ${MAX_LINES} lines why it is not split`, () => {
    const unexplained = sourceFiles(path.join(ROOT, 'supervisor'))
      .map((file) => ({ file, lines: readFileSync(file, 'utf8').replace(/\n$/, '').split('\n') }))
      .filter(({ lines }) => lines.length > MAX_LINES)
      .filter(
        ({ lines }) =>
          !lines.slice(0, 20).some((line) => new RegExp(`over ${MAX_LINES} lines`, 'i').test(line)),
      )
      .map(({ file, lines }) => `${path.relative(ROOT, file)} (${lines.length} lines)`);
    expect(unexplained).toEqual([]);
  });
});
