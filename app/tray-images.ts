/**
 * Draws the tray images in `resources/`, so they are reproducible rather than hand-made: each
 * level has its own glyph (macOS template images are black and tinted by the menu bar, so shape
 * alone must tell the level; the coloured ones keep the same shapes for colour-blind users):
 *
 * - ok: a filled disc;            busy: a ring with its right half filled (◐);
 * - error: a disc with a "!" cut; offline: an empty ring.
 *
 * Each at 16 px and 32 px (`@2x`). Written by `node app/tray-images.ts` (into `resources/`); a
 * unit test checks the committed files are exactly what this draws.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import type { TrayLevel } from './tray-state.ts';

type Rgb = readonly [number, number, number];

const COLOURS: Record<TrayLevel, { name: string; rgb: Rgb }> = {
  ok: { name: 'green', rgb: [0x2e, 0xa0, 0x43] },
  busy: { name: 'yellow', rgb: [0xd2, 0x99, 0x22] },
  error: { name: 'red', rgb: [0xcf, 0x22, 0x2e] },
  offline: { name: 'grey', rgb: [0x8b, 0x94, 0x9e] },
};
const BLACK: Rgb = [0, 0, 0];
const SIZES = [
  { px: 16, suffix: '' },
  { px: 32, suffix: '@2x' },
] as const;
/** Samples per pixel side: 4×4 gives smooth edges at 16 px. */
const SUPERSAMPLE = 4;

/** Whether the point (x, y) of the unit square is ink for a level's glyph. */
export function isInk(level: TrayLevel, x: number, y: number): boolean {
  const r = Math.hypot(x - 0.5, y - 0.5);
  const outer = 0.42;
  switch (level) {
    case 'ok':
      return r <= outer;
    case 'busy':
      return r <= outer && (r >= 0.28 || x >= 0.5);
    case 'offline':
      return r <= outer && r >= 0.3;
    case 'error': {
      const isBar = x >= 0.43 && x <= 0.57 && y >= 0.2 && y <= 0.6;
      const isDot = Math.hypot(x - 0.5, y - 0.75) <= 0.075;
      return r <= outer && !isBar && !isDot;
    }
  }
}

/** RGBA pixels of one glyph, anti-aliased by supersampling. */
export function drawGlyph(level: TrayLevel, px: number, rgb: Rgb): Uint8Array {
  const pixels = new Uint8Array(px * px * 4);
  for (let row = 0; row < px; row++) {
    for (let column = 0; column < px; column++) {
      let covered = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const x = (column + (sx + 0.5) / SUPERSAMPLE) / px;
          const y = (row + (sy + 0.5) / SUPERSAMPLE) / px;
          if (isInk(level, x, y)) covered++;
        }
      }
      const at = (row * px + column) * 4;
      pixels.set([rgb[0], rgb[1], rgb[2], Math.round((covered / SUPERSAMPLE ** 2) * 255)], at);
    }
  }
  return pixels;
}

/** A PNG file (8-bit RGBA, no interlace) of `rgba` pixels. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (rgba.length !== width * height * 4) {
    throw new RangeError(`expected ${width * height * 4} bytes of RGBA, got ${rgba.length}`);
  }
  // Each scanline starts with its filter type (0: none).
  const raw = Buffer.alloc(height * (width * 4 + 1));
  for (let row = 0; row < height; row++) {
    raw[row * (width * 4 + 1)] = 0;
    raw.set(rgba.subarray(row * width * 4, (row + 1) * width * 4), row * (width * 4 + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type 6 (RGBA), deflate, adaptive filters, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** Every tray image by file name: coloured (Windows, Linux) and template (macOS), 1x and 2x. */
export function trayImages(): Map<string, Buffer> {
  const images = new Map<string, Buffer>();
  for (const level of Object.keys(COLOURS) as TrayLevel[]) {
    const { name, rgb } = COLOURS[level];
    const template = level === 'ok' ? 'trayTemplate' : `tray-${level}Template`;
    for (const { px, suffix } of SIZES) {
      images.set(`tray-${name}${suffix}.png`, encodePng(px, px, drawGlyph(level, px, rgb)));
      images.set(`${template}${suffix}.png`, encodePng(px, px, drawGlyph(level, px, BLACK)));
    }
  }
  return images;
}

export const RESOURCES_DIR = fileURLToPath(new URL('../resources/', import.meta.url));

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [name, png] of trayImages()) await writeFile(path.join(RESOURCES_DIR, name), png);
}
