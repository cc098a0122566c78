import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testServerEnv } from '../../helpers/index.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
/** `node npx-like.mjs <script> …`: runs the script as its child, as `npx` does. */
export const NPX_LIKE = path.join(FIXTURES, 'npx-like.mjs');
/** A stdio MCP server that runs on after its input ends (and with `--ignore-term`, SIGTERM). */
export const STUBBORN = path.join(FIXTURES, 'stubborn-server.mjs');

/** A config entry for the stubborn server, marked for the process-table scan. */
export function stubbornServer(home: string, name: string, options: { ignoreTerm?: boolean } = {}) {
  return {
    command: process.execPath,
    args: [STUBBORN, ...(options.ignoreTerm ? ['--ignore-term'] : [])],
    env: testServerEnv(home, name),
  };
}
