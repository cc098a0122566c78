import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * The supervisor's version, read once from package.json: what the control API reports, the
 * state file records, and the gateway and the upstream clients give as their MCP `version`.
 */
export const VERSION: string = (require('../../package.json') as { version: string }).version;

/** The name the supervisor gives itself in MCP `serverInfo` / `clientInfo`. */
export const PRODUCT_NAME = 'mcp-supervisor';
