/**
 * `--log-format json|pretty` (issue #16 item 4, docs/operations.md "Logs"): the default follows the
 * terminal, and `gatehouse serve` writes its request lines on stdout in either format, each with the
 * request id its answer carried. Two real child processes (slow), on loopback only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { chooseLogFormat } from '../src/log-format.ts';
import { CLI, start } from './support/cli-process.ts';

/** Starts `gatehouse serve` with `format`, sends one request, and returns its id and stdout's lines. */
async function serveOneRequest(format: string): Promise<{ id: string; lines: string[] }> {
  const server = start(
    [CLI, 'serve', '--port', '0', '--store', 'memory', '--log-format', format],
    /Stop with Ctrl-C/,
  );
  let stdout = '';
  server.child.stdout.on('data', (chunk) => (stdout += chunk));
  try {
    await server.matched;
    const issuer = /Issuer: (http:\/\/localhost:\d+)/.exec(server.output())?.[1];
    assert.ok(issuer, server.output());
    const answer = await fetch(`${issuer}/nowhere`);
    const id = answer.headers.get('x-request-id');
    assert.ok(id);
    for (let waited = 0; !stdout.includes(id) && waited < 5000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { id, lines: stdout.trim().split('\n') };
  } finally {
    server.child.kill();
  }
}

describe('log format', () => {
  it('is pretty on a terminal and JSON otherwise, unless set', () => {
    assert.equal(chooseLogFormat(undefined, true), 'pretty');
    assert.equal(chooseLogFormat(undefined, false), 'json');
    assert.equal(chooseLogFormat('json', true), 'json');
    assert.equal(chooseLogFormat('pretty', false), 'pretty');
  });

  it('is read from GATEHOUSE_LOG_FORMAT and refused when it is neither', () => {
    assert.equal(loadConfig({}).logFormat, undefined);
    assert.equal(loadConfig({ env: { GATEHOUSE_LOG_FORMAT: 'pretty' } }).logFormat, 'pretty');
    assert.throws(() => loadConfig({ env: { GATEHOUSE_LOG_FORMAT: 'xml' } }), /GATEHOUSE_LOG_FORMAT/);
  });

  it('json: one JSON object per line, the request line with its request id', async () => {
    const { id, lines } = await serveOneRequest('json');
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const request = entries.find((entry) => entry.msg === 'request');
    assert.ok(request, lines.join('\n'));
    assert.equal(request.request_id, id);
    assert.equal(request.status, 404);
    assert.equal(request.path, '/nowhere');
  });

  it('pretty: one readable line per entry, not JSON', async () => {
    const { id, lines } = await serveOneRequest('pretty');
    const request = lines.find((line) => line.includes(id));
    assert.ok(request, lines.join('\n'));
    assert.match(request, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: request /);
    assert.match(request, /"path":"\/nowhere"/);
    assert.ok(!request.includes('\u001b['), 'no colours when stdout is not a terminal');
    assert.throws(() => JSON.parse(request));
  });
});
