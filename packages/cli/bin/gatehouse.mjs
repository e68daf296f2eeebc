#!/usr/bin/env node
// The `gatehouse` command. It loads the CLI through the package's own name, so its exports map
// decides what runs: the compiled dist/main.js when installed from npm, the TypeScript sources
// (run by Node.js type stripping) inside the repository, where the "@gatehouse-oauth/source"
// condition is on (see docs/development.md).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`gatehouse needs Node.js 24 (22.18 at least); this is ${process.version}.\n`);
  process.exit(1);
}
const { runCli } = await import('@gatehouse-oauth/cli');
await runCli(process.argv.slice(2), process.env);
