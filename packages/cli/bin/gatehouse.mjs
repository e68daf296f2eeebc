#!/usr/bin/env node
// The `gatehouse` command. Gatehouse runs its TypeScript directly on Node.js 24 (type stripping).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`gatehouse needs Node.js 24 (22.18 at least); this is ${process.version}.\n`);
  process.exit(1);
}
const { runCli } = await import('../src/main.ts');
await runCli(process.argv.slice(2), process.env);
