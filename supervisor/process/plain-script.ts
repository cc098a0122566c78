import { mkdir, readFile, writeFile } from 'node:fs/promises';
import module from 'node:module';
import path from 'node:path';

const RELATIVE_TS_IMPORT = /(from\s+'(\.{1,2}\/[^']+))\.ts'/g;

/**
 * A script that runs in a process of its own (the PM2 daemon hook), as plain JavaScript. From the
 * TypeScript sources, the script and the few modules it imports are stripped of their types once,
 * into `outDir`: Node's own type stripping costs every process that loads a `.ts` file ~30 MB (its
 * wasm stripper). A compiled build (`dist/`) uses its `.js` as it is.
 *
 * @returns the path of the script to run.
 */
export async function preparePlainScript(sourceScript: string, outDir: string): Promise<string> {
  if (!sourceScript.endsWith('.ts') || typeof module.stripTypeScriptTypes !== 'function') return sourceScript;
  const sourceRoot = path.dirname(path.dirname(sourceScript));
  const pending = [sourceScript];
  const done = new Set<string>();
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(outDir, 'package.json'), '{ "type": "module" }\n');
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (done.has(file)) continue;
    done.add(file);
    const source = await readFile(file, 'utf8');
    for (const match of source.matchAll(RELATIVE_TS_IMPORT)) {
      pending.push(path.resolve(path.dirname(file), `${match[2]}.ts`));
    }
    const target = path.join(outDir, path.relative(sourceRoot, file)).replace(/\.ts$/, '.js');
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, stripQuietly(source).replace(RELATIVE_TS_IMPORT, "$1.js'"));
  }
  return path.join(outDir, path.relative(sourceRoot, sourceScript)).replace(/\.ts$/, '.js');
}

/** `stripTypeScriptTypes` warns that it is experimental on every call; the log needs none of it. */
function stripQuietly(source: string): string {
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  try {
    return module.stripTypeScriptTypes(source);
  } finally {
    process.emitWarning = emitWarning;
  }
}
