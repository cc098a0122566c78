#!/usr/bin/env node
// The CLI entry. The sources are TypeScript run by Node's type stripping (Node >= 22.18); a
// packaged build runs the compiled copy under dist/ instead.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `mcp-supervisor: needs Node >= 22.18 (this is ${process.version}); run it through npm (npm start / npm run cli), which uses the Node 24 the project pins\n`,
  );
  process.exit(1);
}
const { main } = await import(
  new URL(import.meta.url.includes('/dist/') ? '../cli/main.js' : '../cli/main.ts', import.meta.url).href
);
process.exitCode = await main(process.argv);
