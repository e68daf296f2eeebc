/** `gatehouse lint <url|file>`: the command body, with files in a temp dir and a stub fetcher. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lintCommand } from '../src/commands/lint.ts';

const FIXTURES = new URL('../../core/test/fixtures/cimd/', import.meta.url);
const fixtureText = (name: string) => readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8');

async function lint(target: string, documents: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const fetched: string[] = [];
  const code = await lintCommand(target, {
    fetchDocument: async (url) => {
      fetched.push(url);
      if (!(url in documents)) throw new Error('HTTP 404');
      return documents[url];
    },
    readFile: (path) => readFile(path, 'utf8'),
    out: (line) => lines.push(line),
  });
  return { code, lines, fetched };
}

describe('gatehouse lint', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-lint-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('a clean URL: fetched once, exit 0, summary', async () => {
    const url = 'https://chatgpt.com/oauth/client.json';
    const { code, lines, fetched } = await lint(url, { [url]: JSON.parse(fixtureText('chatgpt')) });
    assert.equal(code, 0);
    assert.deepEqual(fetched, [url]);
    assert.deepEqual(lines, [
      '0 errors, 0 warnings',
      'ok: https://chatgpt.com/oauth/client.json as a private_key_jwt client, grant_types authorization_code refresh_token',
    ]);
  });

  it('warnings alone still exit 0', async () => {
    const url = 'https://vscode.dev/oauth/client-metadata.json';
    const { code, lines } = await lint(url, { [url]: JSON.parse(fixtureText('vscode')) });
    assert.equal(code, 0);
    assert.match(lines[0] ?? '', /^warning {2}CIMD-DOC-11 {2}grant_types not supported .*device_code/);
    assert.equal(lines[1], '0 errors, 1 warning');
  });

  it('a document served at another URL than its client_id is an error (CIMD-DOC-1)', async () => {
    const url = 'https://mirror.example.com/client.json';
    const { code, lines } = await lint(url, { [url]: JSON.parse(fixtureText('chatgpt')) });
    assert.equal(code, 1);
    assert.ok(lines.some((line) => line.startsWith('error  CIMD-DOC-1  ')));
  });

  it('an invalid URL is reported without fetching', async () => {
    for (const [url, id] of [
      ['https://example.com/a/../client.json', 'CIMD-URL-4'],
      ['http://example.com/client.json', 'CIMD-URL-1'],
      ['https://example.com', 'CIMD-URL-3'],
      ['https://example.com/c?x=1', 'CIMD-URL-6'],
    ] as const) {
      const { code, lines, fetched } = await lint(url);
      assert.equal(code, 1, url);
      assert.deepEqual(fetched, [], url);
      assert.ok(lines[0]?.startsWith(`error  ${id}  `), `${url}: ${lines[0]}`);
      assert.equal(lines.at(-1), '1 error, 0 warnings');
    }
  });

  it('a failed fetch is an error', async () => {
    const { code, lines } = await lint('https://example.com/missing.json');
    assert.equal(code, 1);
    assert.equal(lines[0], 'error  CIMD-FETCH  could not fetch https://example.com/missing.json: HTTP 404');
  });

  it('a file: its own client_id is the URL, and the URL rules apply to it', async () => {
    const good = await lint(write('claude-code.json', fixtureText('claude-code')));
    assert.equal(good.code, 0);
    assert.deepEqual(good.fetched, []);
    assert.match(good.lines[0] ?? '', /^warning {2}CIMD-UI-3 {2}every redirect_uri is loopback/);

    const dotted = {
      ...JSON.parse(fixtureText('opencode')),
      client_id: 'https://opencode.ai/oauth/%2E%2E/client.json',
    };
    const bad = await lint(write('dotted.json', JSON.stringify(dotted)));
    assert.equal(bad.code, 1);
    assert.ok(bad.lines.some((line) => line.startsWith('error  CIMD-URL-4  ')));
  });

  it('a file with many problems lists every one of them', async () => {
    const path = write(
      'bad.json',
      JSON.stringify({
        client_id: 'https://app.example.com/client.json',
        client_secret: 'x',
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: ['http://app.example.com/callback'],
        jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] },
      }),
    );
    const { code, lines } = await lint(path);
    assert.equal(code, 1);
    const ids = lines.filter((line) => line.startsWith('error')).map((line) => line.split('  ')[1]);
    assert.deepEqual(ids, ['CIMD-DOC-4', 'CIMD-DOC-5', 'CIMD-DOC-8', 'CIMD-REDIR-1', 'CIMD-DOC-3']);
    assert.equal(lines.at(-1), '5 errors, 0 warnings');
  });

  it('a file that is not JSON, or not there', async () => {
    const notJson = await lint(write('broken.json', '{"client_id": '));
    assert.equal(notJson.code, 1);
    assert.match(notJson.lines[0] ?? '', /^error {2}CIMD-DOC-8 {2}.* is not valid JSON$/);
    const missing = await lint(join(dir, 'nope.json'));
    assert.equal(missing.code, 1);
    assert.match(missing.lines[0] ?? '', /^error {2}GH-LINT-INPUT {2}cannot read /);
  });

  it('every vendor fixture lints clean except the one without client_name', async () => {
    for (const name of [
      'claude-ai',
      'claude-code',
      'vscode',
      'chatgpt',
      'chatgpt-connector',
      'opencode',
      'atproto-confidential',
      'mcp-spec-example',
    ]) {
      const { code } = await lint(write(`${name}.json`, fixtureText(name)));
      assert.equal(code, 0, name);
    }
    const { code, lines } = await lint(write('no-name.json', fixtureText('atproto-public-no-name')));
    assert.equal(code, 1);
    assert.ok(lines.some((line) => line.startsWith('error  CIMD-DOC-8  ')));
  });
});
