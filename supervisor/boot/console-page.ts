import { fileURLToPath } from 'node:url';
import type { StaticFilesOptions } from '../http/static-files.ts';

/** The built console (`npm run build:console`, which `npm install` runs), served at `/ui`. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../renderer/dist', import.meta.url));

/**
 * What the console may load and talk to: its own files and the control API of the origin that
 * served it, nothing inline, no frames. The page carries the same policy in a meta tag; the
 * header also covers `frame-ancestors`, which a meta tag cannot.
 */
const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** How `/ui` serves the console: its security headers, and what to do when it is not built. */
export const CONSOLE_FILES: StaticFilesOptions = {
  headers: {
    'content-security-policy': CONSOLE_CSP,
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
  },
  whenUnbuilt: 'The console is not built. Run `npm run build:console` (npm install runs it) and reload.',
};
