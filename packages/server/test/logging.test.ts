/**
 * Logs: one JSON line per request with its outcome, and never a secret (codes, tokens, passwords,
 * client secrets, cookies) even while a whole flow with failures runs through.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../src/logger.ts';
import { APP_REDIRECT, basic, createTestServer, PASSWORD, SECRET, VERIFIER } from './support/test-server.ts';

describe('request logs', () => {
  it('write one line per request with its outcome and never a secret', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...chunk.toString().trim().split('\n'));
        done();
      },
    });
    const t = await createTestServer({ logger: createLogger({ level: 'info', destination }) });
    const callback = await t.authorize();
    const code = callback.searchParams.get('code')!;
    const tokens = await (
      await t.token({
        grant_type: 'authorization_code',
        code,
        redirect_uri: APP_REDIRECT,
        client_id: 'public-app',
        code_verifier: VERIFIER,
      })
    ).json();
    // After the grace of a retry (decision 0036): a reuse.
    t.advance(11_000);
    await t.token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: APP_REDIRECT,
      client_id: 'public-app',
      code_verifier: VERIFIER,
    });
    await t.token({ grant_type: 'refresh_token', refresh_token: 'x' }, basic('basic-app', SECRET));

    const requests = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.msg === 'request');
    assert.ok(requests.length >= 6, `one line per request, got ${requests.length}`);
    for (const entry of requests) {
      assert.equal(typeof entry.path, 'string');
      assert.equal(typeof entry.status, 'number');
      assert.equal(typeof entry.ms, 'number');
    }
    const reuse = requests.find((entry) => entry.reason === 'code_reused');
    assert.ok(reuse, 'the refused redemption is logged with its reason');
    assert.equal(reuse.error, 'invalid_grant');
    assert.equal(reuse.client_id, 'public-app');

    const all = lines.join('\n');
    const secrets = [
      code,
      VERIFIER,
      PASSWORD,
      SECRET,
      tokens.access_token,
      tokens.refresh_token,
      'state-123',
    ];
    for (const secret of secrets)
      assert.ok(!all.includes(secret), `a secret leaked into the logs: ${secret.slice(0, 12)}…`);
  });

  it('the redaction net: secret fields on the line and in the objects lines carry, an error keeps its code', () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().trim().split('\n')) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination });
    const error = Object.assign(new Error('disk full'), { code: 'SQLITE_FULL', token: 'tok-1' });
    logger.info({ password: 'pw', client_id: 'app', code: 'ECONNREFUSED' }, 'top level');
    logger.warn({ err: error }, 'an error');
    logger.info({ audit: { type: 't', detail: { refresh_token: 'rt-1', family_id: 'f1' } } }, 'an event');
    logger.info({ body: { code: 'authorization-code', state: 's' } }, 'a body');
    logger.info(
      { result: { access_token: 'at-1' }, headers: { authorization: 'Bearer x', cookie: 'c' } },
      'more',
    );
    const [top, failed, event, body, more] = lines;
    assert.equal(top?.password, '[redacted]');
    assert.equal(top?.client_id, 'app');
    assert.equal(top?.code, 'ECONNREFUSED', "a line's code is an error's kind");
    const err = (failed?.err ?? {}) as Record<string, unknown>;
    assert.equal(err.token, '[redacted]');
    assert.equal(err.code, 'SQLITE_FULL', "an error's code is its kind, not a secret");
    const detail = (event?.audit as { detail: Record<string, unknown> } | undefined)?.detail;
    assert.deepEqual(detail, { refresh_token: '[redacted]', family_id: 'f1' });
    assert.deepEqual(body?.body, { code: '[redacted]', state: 's' });
    assert.deepEqual(more?.result, { access_token: '[redacted]' });
    assert.deepEqual(more?.headers, { authorization: '[redacted]', cookie: '[redacted]' });
  });
});
