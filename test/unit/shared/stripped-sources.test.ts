import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { strippedSource } from '../../../supervisor/shared/stripped-sources.js';
import { CLI_FILE, ROOT } from '../../helpers/paths.ts';

const run = promisify(execFile);
const REPORT = path.join(import.meta.dirname, 'fixtures/report-stripper.mjs');

async function isStripperLoaded(args: string[]): Promise<boolean> {
  const { stderr } = await run(process.execPath, [`--import=${REPORT}`, ...args], {
    cwd: ROOT,
    timeout: 30_000,
  });
  const match = /type-stripper-loaded=(true|false)/.exec(stderr);
  if (!match) throw new Error(`no report in: ${stderr}`);
  return match[1] === 'true';
}

describe('stripped sources', () => {
  it('gives the text Node would run: types stripped, every line in its place', () => {
    const file = path.join(ROOT, 'supervisor/limits/breaker.ts');
    const source = readFileSync(file, 'utf8');
    const stripped = strippedSource(file);
    expect(stripped).toBe(module.stripTypeScriptTypes(source, { mode: 'strip' }));
    expect(stripped?.split('\n')).toHaveLength(source.split('\n').length);
    expect(stripped).not.toMatch(/: BreakerState\b/);
  });

  it('keeps Node’s type stripper out of a CLI process, which loads a plain .ts file with it', async () => {
    expect(await isStripperLoaded([CLI_FILE, '--help'])).toBe(false);
    expect(
      await isStripperLoaded(['--input-type=module', '-e', "await import('./supervisor/shared/errors.ts')"]),
    ).toBe(true);
  });
});
