/**
 * The packages as npm users get them (issue #16): every workspace is packed (its `prepack` compiles
 * it), the tarballs are installed into an empty project, and there, with none of this repository's
 * settings, the installed `gatehouse` serves the embedded default (SQLite in a temporary directory,
 * loopback only) and a plain .mjs file imports the server and resource-server libraries.
 *
 * Inside the repository the packages resolve to their TypeScript sources through the
 * "@gatehouse-oauth/source" condition (.npmrc); installed, that condition is off and Node.js refuses
 * TypeScript under node_modules, so this passes only if the tarballs carry working JavaScript and
 * the exports maps point at it. Third-party dependencies come from the npm registry (or npm's cache).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');
const PACKAGES = readdirSync(join(ROOT, 'packages'))
  .map(
    (dir) =>
      JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8')) as { name: string },
  )
  .map((pkg) => pkg.name);

/**
 * The environment of an npm user's shell: no NODE_OPTIONS (it carries this repository's source
 * condition), no npm_* variables of the `npm test` running us, and Node.js 24 (ours) first on the
 * PATH, so `#!/usr/bin/env node` and npm's own scripts run on it.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name === 'NODE_OPTIONS' || name.toLowerCase().startsWith('npm_')) continue;
    env[name] = value;
  }
  env.PATH = [dirname(process.execPath), process.env.PATH].join(delimiter);
  return env;
}

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const result = spawnSync('npm', args, { cwd, env, encoding: 'utf8', timeout: 90_000 });
  assert.equal(result.status, 0, `npm ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

describe('the npm tarballs, installed into an empty project (issue #16)', () => {
  let dir: string;
  let project: string;
  const env = userEnv();
  /** Runs a plain .mjs file in the installed project, as a user of the packages would. */
  const runScript = (script: string) =>
    spawnSync(process.execPath, [script], { cwd: project, env, encoding: 'utf8', timeout: 30_000 });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-pack-'));
    const tarballs = join(dir, 'tarballs');
    project = join(dir, 'project');
    mkdirSync(tarballs);
    mkdirSync(project);
    // Packed from the repository with its own settings: each `prepack` builds that package's dist/.
    const packed = JSON.parse(
      npm(['pack', '--workspaces', '--json', '--pack-destination', tarballs], ROOT, process.env),
    ) as { name: string; filename: string }[];
    assert.deepEqual(packed.map((p) => p.name).sort(), [...PACKAGES].sort());
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'try-gatehouse', private: true }));
    npm(
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
        ...packed.map((p) => join(tarballs, p.filename)),
      ],
      project,
      env,
    );
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('carries compiled JavaScript and declarations, not the TypeScript sources', () => {
    for (const name of PACKAGES) {
      const installed = join(project, 'node_modules', name);
      const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
      const entry = pkg.exports['.'];
      assert.ok(existsSync(join(installed, entry.default)), `${name}: ${entry.default}`);
      assert.ok(existsSync(join(installed, entry.types)), `${name}: ${entry.types}`);
      assert.equal(existsSync(join(installed, 'src')), false, `${name} ships src/`);
      // Relative imports were rewritten from .ts to .js by the compiler.
      assert.doesNotMatch(readFileSync(join(installed, entry.default), 'utf8'), /from '\.{1,2}\/[^']*\.ts'/);
    }
  });

  it('`npx gatehouse serve` runs the embedded default and serves the metadata document', async () => {
    const data = join(dir, 'data');
    // --no: never fetch a package named gatehouse from the registry (an unrelated one owns the name).
    // npx runs the bin in a child of its own: started as a process group, all of it is stopped at once.
    const child: ChildProcess = spawn(
      'npx',
      ['--no', 'gatehouse', 'serve', '--host', '127.0.0.1', '--port', '0', '--data', data],
      {
        cwd: project,
        env: { ...env, GATEHOUSE_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    const closed = once(child, 'close'); // every holder of its stdout and stderr has exited
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    try {
      const issuer = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no issuer in 30 s:\n${output}`)), 30_000);
        const check = () => {
          const match = /Issuer: (http:\/\/(?:localhost|127\.0\.0\.1):\d+)/.exec(output);
          if (match && /Stop with Ctrl-C/.test(output)) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        };
        child.stdout?.on('data', check);
        child.stderr?.on('data', check);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`exited with ${code}:\n${output}`));
        });
      });
      const port = new URL(issuer).port;
      const response = await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`);
      assert.equal(response.status, 200, output);
      const metadata = (await response.json()) as Record<string, unknown>;
      assert.equal(metadata.issuer, issuer);
      assert.equal(metadata.token_endpoint, `${issuer}/token`);
      assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
      assert.ok(
        readdirSync(data).some((file) => file.endsWith('.sqlite')),
        `no SQLite file in ${data}`,
      );
    } finally {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {} // the group is already gone
      await closed;
    }
  });

  it('imports createAuthorizationServer and createResourceServer from a plain .mjs file', () => {
    const script = join(project, 'try.mjs');
    writeFileSync(
      script,
      `import { createAuthorizationServer, createMemoryStore } from '@gatehouse-oauth/server';
import { createResourceServer } from '@gatehouse-oauth/resource-server';

const issuer = 'https://auth.example.com';
const server = createAuthorizationServer({ issuer, store: createMemoryStore() });
const metadata = await (await server.fetch(new Request(issuer + '/.well-known/oauth-authorization-server'))).json();
const resource = createResourceServer({ issuer, resource: 'https://mcp.example.com/mcp' });
console.log(JSON.stringify({ issuer: metadata.issuer, resourceMetadata: resource.metadata() }));
`,
    );
    const result = runScript(script);
    assert.equal(result.status, 0, result.stderr);
    const printed = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
    assert.equal(printed.issuer, 'https://auth.example.com');
    assert.equal(printed.resourceMetadata.resource, 'https://mcp.example.com/mcp');
    assert.deepEqual(printed.resourceMetadata.authorization_servers, ['https://auth.example.com']);
  });

  it("runs the README's library snippet as it is printed", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const snippet = /## Using it as a library[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(snippet, 'no ```ts block under "Using it as a library" in README.md');
    const script = join(project, 'readme-snippet.mjs'); // the snippet has no type annotations
    writeFileSync(script, `${snippet}\nconsole.log(typeof server.fetch);\n`);
    const result = runScript(script);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'function');
  });
});
