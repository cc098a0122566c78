import path from 'node:path';
import { SERVER_EVERYTHING, SERVER_MEMORY } from './paths.ts';
import { testServerEnv } from './process-table.ts';

/**
 * Config entries for real MCP servers from npm, run with the test's Node (never `npx`), each
 * marked with the home and its name in its env so the process-table scan finds its whole tree.
 */
export const testServers = {
  everythingStdio(home: string, name: string, env: Record<string, string> = {}) {
    return {
      command: process.execPath,
      args: [SERVER_EVERYTHING, 'stdio'],
      env: { ...testServerEnv(home, name), ...env },
    };
  },
  memory(home: string, name: string, env: Record<string, string> = {}) {
    return {
      command: process.execPath,
      args: [SERVER_MEMORY],
      env: { ...testServerEnv(home, name), MEMORY_FILE_PATH: path.join(home, `${name}.jsonl`), ...env },
    };
  },
  /** server-everything over Streamable HTTP, started by the supervisor, reached at its url. */
  everythingHttp(home: string, name: string, port: number, env: Record<string, string> = {}) {
    return {
      command: process.execPath,
      args: [SERVER_EVERYTHING, 'streamableHttp'],
      url: `http://127.0.0.1:${port}/mcp`,
      env: { ...testServerEnv(home, name), PORT: String(port), ...env },
    };
  },
  /** A command that exits with code 1 at once: a crash loop. */
  crashing(home: string, name: string) {
    return {
      command: process.execPath,
      args: ['-e', 'process.exit(1)'],
      env: testServerEnv(home, name),
    };
  },
};
