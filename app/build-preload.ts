/**
 * Bundles the preload script into one CommonJS file. A sandboxed preload can `require` only
 * `electron` and a few built-ins, and cannot be an ES module: an unbundled preload that imports
 * the IPC contract would fail to load and leave the console without its bridge.
 *
 * Run by `npm run build`: `node app/build-preload.ts [outfile]` (default `dist/app/preload.cjs`).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const PRELOAD_SOURCE = fileURLToPath(new URL('./preload.ts', import.meta.url));

/** Writes the bundle to `outfile`; rejects with esbuild's errors. */
export async function bundlePreload(outfile: string): Promise<void> {
  await build({
    entryPoints: [PRELOAD_SOURCE],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'browser',
    target: 'chrome130',
    external: ['electron'],
    logLevel: 'silent',
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundlePreload(path.resolve(process.argv[2] ?? 'dist/app/preload.cjs'));
}
