/**
 * docs/developing-a-cimd-client.md, run as written: the CA from `npm run dev:ca`, the page's
 * document server and client.json, then `gatehouse lint` with the page's development switches
 * fetches the document over TLS from `client.test` and accepts it. Keeps the recipe from drifting.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { run } from '../packages/cli/test/support/cli-process.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const PAGE = readFileSync(join(ROOT, 'docs/developing-a-cimd-client.md'), 'utf8');

/** The page's code blocks of one language, in order. */
function blocks(language: string): string[] {
  return [...PAGE.matchAll(/```(\w+)\n([\s\S]*?)```/g)].filter((m) => m[1] === language).map((m) => m[2]!);
}

/** The arguments after `npm run gatehouse --` in the page's shell block that starts with `words`. */
function gatehouseArgs(words: string): string[] {
  const line = blocks('sh')
    .map((block) => block.replace(/\\\n\s*/g, ''))
    .find((block) => block.startsWith(`npm run gatehouse -- ${words}`));
  assert.ok(line, `the page has no \`npm run gatehouse -- ${words}\``);
  return line.trim().split(/\s+/).slice(4);
}

describe('the CIMD client recipe (docs/developing-a-cimd-client.md)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cimd-recipe-'));
  let documentServer: ChildProcess | undefined;
  after(() => {
    documentServer?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a document that gatehouse lint, with the page switches, fetches and accepts', async () => {
    const ca = spawnSync(
      process.execPath,
      [join(ROOT, 'scripts/dev-ca.ts'), '--out', 'dev-ca', 'client.test'],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    assert.equal(ca.status, 0, ca.stderr);
    const [server] = blocks('js');
    const [document] = blocks('json');
    writeFileSync(join(dir, 'serve-cimd.mjs'), server!);
    writeFileSync(join(dir, 'client.json'), document!);
    documentServer = spawn(process.execPath, ['serve-cimd.mjs'], { cwd: dir, stdio: 'ignore' });
    const clientId = (JSON.parse(document!) as { client_id: string }).client_id;
    const args = gatehouseArgs('lint').map((arg) => (arg === 'dev-ca/ca.pem' ? join(dir, arg) : arg));
    assert.equal(args[1], clientId, 'the page lints the document it serves');

    // The document server needs a moment to listen; lint fails until it does.
    let lint = await run(args);
    for (let attempt = 0; lint.code !== 0 && attempt < 20; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      lint = await run(args);
    }
    assert.equal(lint.code, 0, `${lint.stdout}${lint.stderr}`);
    assert.match(lint.stdout, new RegExp(`^ok: ${clientId.replaceAll('.', '\\.')} as a public client`, 'm'));
    // The serve command takes the same switches.
    assert.deepEqual(gatehouseArgs('serve').slice(1), gatehouseArgs('lint').slice(2));
  });
});
