import { createRequire } from 'node:module';

/**
 * node:http through `require`, not an ESM import: importing a builtin as ESM builds its namespace
 * from every export, and node:http's lazy `WebSocket`-family getters then load Node's bundled
 * undici (measured on Node 24: 13 MiB more RSS, 2.3 MiB more heap in a bare node; 4 MiB more idle
 * RSS of the supervisor with 10 servers when the control client imported it that way). Every
 * module of the supervisor that needs node:http's values takes them from here (`import type`
 * is free).
 */
export const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');
