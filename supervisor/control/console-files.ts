import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RouteHandler } from './http-server.ts';
import { staticFiles } from './static-files.ts';

/**
 * What the console may load and talk to: its own files and the control API of the origin that
 * served it, nothing inline, no frames. The page carries the same policy in a meta tag (with the
 * loopback origins the Electron window needs); a header also covers `frame-ancestors`.
 */
export const CONSOLE_CSP = [
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

/**
 * Serves the built console (`renderer/dist`, written by `npm run build:console`, which
 * `npm install` runs) under `/ui`, with its security headers. Without a build it says how to make
 * one instead of a bare 404.
 */
export function consoleFiles(prefix: string, root: string): RouteHandler {
  const files = staticFiles(prefix, root);
  const index = path.join(root, 'index.html');
  return (req, res, url) => {
    res.setHeader('content-security-policy', CONSOLE_CSP);
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    if (!existsSync(index)) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('The console is not built. Run `npm run build:console` (npm install runs it) and reload.\n');
      return;
    }
    return files(req, res, url);
  };
}
