/**
 * The script the app's utility process runs: the supervisor's CLI (`start`), unchanged. In a
 * utility process `process.execPath` is Electron's own binary, and the supervisor spawns children
 * with it (PM2's daemon): `ELECTRON_RUN_AS_NODE` makes those act as Node instead of opening another
 * app. It is set here, inside the running process, and not in the fork's environment, where it
 * would turn the utility process itself into a plain Node process.
 */
process.env.ELECTRON_RUN_AS_NODE = '1';
// The CLI entry picks its compiled or TypeScript sources itself; a computed URL keeps the app from
// depending on the supervisor's modules: it only launches them.
const cli = new URL('../supervisor/bin/mcp-supervisor.js', import.meta.url);
await import(cli.href);
