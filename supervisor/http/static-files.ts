import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { sendError } from './respond.ts';
import { decodePathPart } from './url-path.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

export interface StaticFilesOptions {
  /** Sent with every answer under the prefix (a page's security headers, e.g. its CSP). */
  headers?: Readonly<Record<string, string>>;
  /** Without `root/index.html`, every request is a 503 with this text (how to build it). */
  whenUnbuilt?: string;
}

/**
 * Serves static files under `prefix` from `root` (the console: `renderer/dist`). Paths are
 * resolved inside root only; anything else is 404. The page itself holds no secret: it gets the
 * control token from the URL fragment or the desktop app's preload bridge.
 */
export function staticFiles(prefix: string, root: string, options: StaticFilesOptions = {}) {
  const base = path.resolve(root);
  const index = path.join(base, 'index.html');
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    for (const [name, value] of Object.entries(options.headers ?? {})) res.setHeader(name, value);
    if (options.whenUnbuilt !== undefined && !existsSync(index)) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end(`${options.whenUnbuilt}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (url.pathname === prefix) {
      res.writeHead(301, { location: `${prefix}/` }).end();
      return;
    }
    let relative: string;
    try {
      relative = decodePathPart(url.pathname.slice(prefix.length + 1)) || 'index.html';
    } catch (error) {
      sendError(res, error);
      return;
    }
    const file = path.resolve(base, relative);
    if (!file.startsWith(base + path.sep)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-length': body.length,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404).end();
    }
  };
}
