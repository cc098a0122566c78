#!/usr/bin/env node
// The CLI entry. The sources are TypeScript, served as JavaScript stripped once into a cache
// (shared/stripped-sources.js; Node's own type stripping, Node >= 22.18, where that cannot be
// written); a packaged build runs the compiled copy under dist/ instead.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `mcp-supervisor: needs Node >= 22.18 (this is ${process.version}); run it through npm (npm start / npm run cli), which uses the Node 24 the project pins\n`,
  );
  process.exit(1);
}
const isCompiled = import.meta.url.includes('/dist/');
if (!isCompiled) (await import('../shared/stripped-sources.js')).installStrippedSources();
const { main } = await import(
  new URL(isCompiled ? '../cli/main.js' : '../cli/main.ts', import.meta.url).href
);
process.exitCode = await main(process.argv);
