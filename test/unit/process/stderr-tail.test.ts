import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastLines, logSize, stderrTail } from '../../../supervisor/process/stderr-tail.ts';

describe('lastLines', () => {
  it('keeps the last non-empty lines without PM2 timestamps, joined', () => {
    const text =
      '2026-01-02T03:04:05: npm error code E404\n\n2026-01-02T03:04:05: npm error 404 Not Found - GET https://registry.npmjs.org/nope\n';
    expect(lastLines(text, 5, 600)).toBe(
      'npm error code E404 | npm error 404 Not Found - GET https://registry.npmjs.org/nope',
    );
    expect(lastLines('a\nb\nc\n', 2, 600)).toBe('b | c');
  });

  it('cuts from the front, so the last words stay', () => {
    expect(lastLines('x'.repeat(50), 5, 10)).toBe(`…${'x'.repeat(9)}`);
    expect(lastLines('', 5, 10)).toBe('');
  });
});

describe('stderrTail', () => {
  it('reads only what this run wrote after its launch offset', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mcps-tail-'));
    try {
      const file = path.join(dir, 'server.err.log');
      expect(await logSize(file)).toBe(0);
      await writeFile(file, 'an earlier run\n');
      const offset = await logSize(file);
      await appendFile(file, 'Traceback (most recent call last):\nModuleNotFoundError: No module named x\n');
      expect(await stderrTail(file, offset)).toBe(
        'Traceback (most recent call last): | ModuleNotFoundError: No module named x',
      );
      expect(await stderrTail(path.join(dir, 'missing.log'), 0)).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
