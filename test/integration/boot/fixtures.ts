import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testServerEnv } from '../../helpers/index.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** `node npx-like.mjs <script> …`: runs the script as its child, as `npx` does. */
export const NPX_LIKE = path.join(HERE, '../core/fixtures/npx-like.mjs');
/** The package dir of the dependency-free slow-starting MCP server (its bin is `server.mjs`). */
export const SLOW_START_PACKAGE = path.join(HERE, '../fixtures/slow-start-server');
export const SLOW_START_SERVER = path.join(SLOW_START_PACKAGE, 'server.mjs');

/**
 * A config entry for a server that starts as an `npx` one does: a launcher process that runs the
 * real server as its child, which then waits `delayMs` before it speaks MCP.
 */
export function npxStyleSlowServer(home: string, name: string, delayMs: number) {
  return {
    command: process.execPath,
    args: [NPX_LIKE, SLOW_START_SERVER, '--delay-ms', String(delayMs)],
    env: testServerEnv(home, name),
  };
}
