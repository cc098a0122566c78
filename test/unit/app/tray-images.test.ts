import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodePng, isInk, RESOURCES_DIR, trayImages } from '../../../app/tray-images.ts';
import { type TrayLevel, trayIconFile } from '../../../app/tray-state.ts';

/** A small PNG reader: checks the signature and every chunk's CRC, returns size and RGBA pixels. */
function decodePng(png: Buffer): { width: number; height: number; rgba: Buffer } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let at = 8;
  let header: Buffer | undefined;
  const data: Buffer[] = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('latin1');
    const body = png.subarray(at + 8, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length), `CRC of ${type}`).toBe(
      crc32(png.subarray(at + 4, at + 8 + length)),
    );
    if (type === 'IHDR') header = body;
    if (type === 'IDAT') data.push(body);
    at += 12 + length;
  }
  if (!header) throw new Error('no IHDR');
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  expect([...header.subarray(8)]).toEqual([8, 6, 0, 0, 0]);
  const raw = inflateSync(Buffer.concat(data));
  const rgba = Buffer.alloc(width * height * 4);
  for (let row = 0; row < height; row++) {
    expect(raw[row * (width * 4 + 1)], 'filter type').toBe(0);
    raw.copy(rgba, row * width * 4, row * (width * 4 + 1) + 1, (row + 1) * (width * 4 + 1));
  }
  return { width, height, rgba };
}

describe('tray images', () => {
  it('are committed exactly as the generator draws them (node app/tray-images.ts)', async () => {
    for (const [name, png] of trayImages()) {
      const committed = await readFile(path.join(RESOURCES_DIR, name)).catch(() => undefined);
      expect(committed, `${name} is missing or stale: run node app/tray-images.ts`).toEqual(png);
    }
  });

  it('exist for every level on every platform, with a 2x variant, as real PNGs', async () => {
    const levels: TrayLevel[] = ['ok', 'busy', 'error', 'offline'];
    for (const platform of ['darwin', 'linux', 'win32'] as const) {
      for (const level of levels) {
        const file = trayIconFile(level, platform);
        for (const [name, px] of [
          [file, 16],
          [file.replace('.png', '@2x.png'), 32],
        ] as const) {
          const { width, height, rgba } = decodePng(await readFile(path.join(RESOURCES_DIR, name)));
          expect([width, height], name).toEqual([px, px]);
          const alphas = [...rgba].filter((_, i) => i % 4 === 3);
          expect(
            alphas.some((a) => a === 255),
            `${name} has ink`,
          ).toBe(true);
          expect(
            alphas.some((a) => a === 0),
            `${name} has a transparent background`,
          ).toBe(true);
          // macOS template images are black; their alpha is the glyph.
          if (platform === 'darwin')
            expect([...rgba].filter((_, i) => i % 4 !== 3).every((v) => v === 0)).toBe(true);
        }
      }
    }
  });

  it('tell the levels apart by shape alone (template images have no colour)', () => {
    const centre = (level: TrayLevel) => isInk(level, 0.5, 0.5);
    const left = (level: TrayLevel) => isInk(level, 0.3, 0.5);
    const right = (level: TrayLevel) => isInk(level, 0.7, 0.5);
    expect([centre('ok'), left('ok'), right('ok')]).toEqual([true, true, true]);
    expect([centre('busy'), left('busy'), right('busy')]).toEqual([true, false, true]);
    expect([centre('offline'), left('offline'), right('offline')]).toEqual([false, false, false]);
    expect([centre('error'), isInk('error', 0.5, 0.75), isInk('error', 0.3, 0.5)]).toEqual([
      false,
      false,
      true,
    ]);
  });

  it('refuses pixels that do not match the size', () => {
    expect(() => encodePng(2, 2, new Uint8Array(3))).toThrow('expected 16 bytes of RGBA, got 3');
  });
});
