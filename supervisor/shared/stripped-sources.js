// Plain JavaScript, not TypeScript: this module is what lets every other one skip Node's type
// stripper, so it must load without it. Types for the TypeScript side: stripped-sources.d.ts.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Runs the supervisor's TypeScript sources as JavaScript stripped of their types once, in a
 * separate short-lived process, instead of by Node's type stripping in every process that loads
 * them: Node's stripper is swc compiled to WebAssembly, and once loaded its module and memory stay
 * for the life of the process — measured on Node 24 at ~17 MiB RSS for one small `.ts` import and
 * 27 MiB for the whole supervisor (180 → 153 MiB idle with 10 servers).
 *
 * A `load` hook (`module.registerHooks`, in-thread, no loader worker) serves each `.ts` file under
 * `supervisor/` from a cache keyed by the hash of its text and of the Node version, so an edited
 * file is a miss, never stale. On the first miss a child process strips every source whose entry
 * is missing (one `node` run of this file), and the hook serves from the cache. Module URLs stay
 * the `.ts` files' own, so `import.meta.url`, relative paths and stack traces (the stripper keeps
 * every position) are unchanged. Where the cache cannot be written, Node's own stripping takes
 * over as before. A compiled build (`dist/`) has no `.ts` and never installs the hook.
 */

const SOURCE_ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const PACKAGE_ROOT = path.dirname(SOURCE_ROOT);
/** Inside node_modules, which git ignores and `npm ci` clears: a cache, never a build product. */
const CACHE_DIR = path.join(PACKAGE_ROOT, 'node_modules', '.cache', 'mcp-supervisor', 'stripped');
const SOURCE_URL_PREFIX = `${pathToFileURL(SOURCE_ROOT).href}/`;
/** Entries of sources that no longer exist are removed once this old (a build may still use them). */
const STALE_ENTRY_MS = 24 * 3_600_000;
const STRIP_TIMEOUT_MS = 60_000;

/** @param {string} source */
function cacheKey(source) {
  return createHash('sha256').update(process.version).update('\0').update(source).digest('hex').slice(0, 40);
}

/** @param {string} key */
function entryPath(key) {
  return path.join(CACHE_DIR, `${key}.js`);
}

/** @param {string} file */
function readEntry(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Every `.ts` file under `supervisor/` (declarations excepted), absolute paths. */
function sourceFiles(dir = SOURCE_ROOT) {
  /** @type {string[]} */
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(full);
  }
  return files;
}

/** Set once filling failed (an unwritable cache): the process then strips for itself. */
let hasFillFailed = false;

/** Runs this file as a script in a child process to fill the cache; false when that failed. */
function fillCacheInChild() {
  if (hasFillFailed) return false;
  const result = spawnSync(process.execPath, ['--no-warnings', fileURLToPath(import.meta.url), 'fill'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: STRIP_TIMEOUT_MS,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  hasFillFailed = result.status !== 0;
  return !hasFillFailed;
}

/**
 * The JavaScript of one source file: from the cache, after filling it in a child process on a
 * miss; undefined when the cache cannot be filled (the caller strips it itself then).
 *
 * @param {string} file absolute path of a `.ts` file under `supervisor/`
 * @param {string} [source] its text, when already read
 * @returns {string | undefined}
 */
export function strippedSource(file, source = readFileSync(file, 'utf8')) {
  const entry = entryPath(cacheKey(source));
  return readEntry(entry) ?? (fillCacheInChild() ? readEntry(entry) : undefined);
}

let isInstalled = false;

/**
 * Serves `supervisor/**.ts` from the stripped cache for the rest of this process (and no other:
 * hooks are per thread and not inherited). Idempotent; a no-op where `module.registerHooks` is
 * missing.
 *
 * @returns {boolean} whether the hook is installed
 */
export function installStrippedSources() {
  if (isInstalled) return true;
  if (typeof module.registerHooks !== 'function') return false;
  module.registerHooks({
    load(url, context, nextLoad) {
      if (!url.startsWith(SOURCE_URL_PREFIX) || !url.endsWith('.ts')) return nextLoad(url, context);
      const file = fileURLToPath(url);
      const source = strippedSource(file);
      return source === undefined ? nextLoad(url, context) : { format: 'module', source, shortCircuit: true };
    },
  });
  isInstalled = true;
  return true;
}

/** The child's work: strips every source whose entry is missing; prunes entries long unused. */
function fillCache() {
  mkdirSync(CACHE_DIR, { recursive: true, mode: 0o700 });
  const live = new Set();
  for (const file of sourceFiles()) {
    const source = readFileSync(file, 'utf8');
    const key = cacheKey(source);
    live.add(`${key}.js`);
    if (readEntry(entryPath(key)) !== undefined) continue;
    const temporary = `${entryPath(key)}.${process.pid}.tmp`;
    writeFileSync(temporary, module.stripTypeScriptTypes(source, { mode: 'strip' }), { mode: 0o600 });
    // Atomic: processes filling the cache at once write the same text, and readers see all or none.
    renameSync(temporary, entryPath(key));
  }
  const now = Date.now();
  for (const name of readdirSync(CACHE_DIR)) {
    if (live.has(name)) continue;
    const file = path.join(CACHE_DIR, name);
    try {
      if (now - statSync(file).mtimeMs > STALE_ENTRY_MS) unlinkSync(file);
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'fill') fillCache();
