/**
 * Request ids and client_ids in the logs (issue #16 item 4, decision 0028): every line written while
 * one request is served carries the same `request_id`, every answer sends it back in `X-Request-Id`,
 * the error page shows it, and a refusal's request line names the client the request named.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../src/logger.ts';
import { APP_REDIRECT, basic, createTestServer, ISSUER, SECRET, VERIFIER } from './support/test-server.ts';

type Line = Record<string, unknown>;

async function loggedServer() {
  const lines: Line[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().trim().split('\n')) lines.push(JSON.parse(line) as Line);
      done();
    },
  });
  const t = await createTestServer({ logger: createLogger({ level: 'debug', destination }) });
  /** The lines written for the request answered with `response`, found by its X-Request-Id. */
  const linesOf = (response: Response) => {
    const id = response.headers.get('x-request-id');
    assert.ok(id, 'the answer carries X-Request-Id');
    return lines.filter((line) => line.request_id === id);
  };
  /** The request line of the request answered with `response`. */
  const requestLine = (response: Response) => {
    const line = linesOf(response).find((entry) => entry.msg === 'request');
    assert.ok(line, 'the request has its request line');
    return line;
  };
  return { t, lines, linesOf, requestLine };
}

describe('request ids', () => {
  it('are on every line written while a request is served, and on no other request', async () => {
    const { t, lines, linesOf } = await loggedServer();
    const code = (await t.authorize()).searchParams.get('code')!;
    const redeem = () =>
      t.token({
        grant_type: 'authorization_code',
        code,
        redirect_uri: APP_REDIRECT,
        client_id: 'public-app',
        code_verifier: VERIFIER,
      });
    const issued = await redeem();
    assert.equal(issued.status, 200);
    // The issuance's audit line is written by the audit trail, not by the endpoint: it carries the
    // id all the same.
    const messages = linesOf(issued).map((line) => line.msg);
    assert.ok(messages.includes('token.issued'), `audit line of the request: ${messages.join(', ')}`);
    assert.ok(messages.includes('request'));
    // After the grace of a retry (decision 0036): a reuse.
    t.advance(11_000);
    const reused = await redeem();
    assert.ok(linesOf(reused).some((line) => line.msg === 'code.reused'));
    assert.notEqual(issued.headers.get('x-request-id'), reused.headers.get('x-request-id'));
    // Every line this flow wrote was written while serving a request: none lacks its id.
    assert.deepEqual(
      lines.filter((line) => typeof line.request_id !== 'string').map((line) => line.msg),
      [],
    );
  });

  it('are sent back on successes, refusals, unknown paths and error pages', async () => {
    const { t, requestLine } = await loggedServer();
    const answers = [
      await t.send(`${ISSUER}/.well-known/oauth-authorization-server`),
      await t.post(
        '/token',
        { grant_type: 'refresh_token', refresh_token: 'x' },
        basic('basic-app', 'wrong'),
      ),
      await t.send(`${ISSUER}/nowhere`),
      await t.send(t.authorizationUrl({ client_id: 'nobody-registered-this' })),
      await t.send(`${ISSUER}/authorize`, { method: 'PUT' }),
    ];
    for (const answer of answers) {
      const id = answer.headers.get('x-request-id');
      assert.match(id ?? '', /^[0-9a-f-]{36}$/, `status ${answer.status}`);
      assert.equal(requestLine(answer).status, answer.status);
    }
  });

  it('are shown on the error page as a reference', async () => {
    const { t } = await loggedServer();
    const page = await t.send(t.authorizationUrl({ client_id: 'nobody-registered-this' }));
    assert.equal(page.status, 400);
    const id = page.headers.get('x-request-id')!;
    assert.ok((await page.text()).includes(`Reference: <code>${id}</code>`));
  });

  it('keep a sane incoming X-Request-Id and replace any other', async () => {
    const { t, requestLine } = await loggedServer();
    const metadata = `${ISSUER}/.well-known/oauth-authorization-server`;
    const kept = await t.send(metadata, { headers: { 'x-request-id': 'proxy-4f2a9c01e7b3' } });
    assert.equal(kept.headers.get('x-request-id'), 'proxy-4f2a9c01e7b3');
    assert.equal(requestLine(kept).request_id, 'proxy-4f2a9c01e7b3');
    for (const bad of ['short', 'x'.repeat(65), 'has space in it', '<script>alert(1)</script>']) {
      const replaced = await t.send(metadata, { headers: { 'x-request-id': bad } });
      assert.match(replaced.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/, bad);
    }
  });
});

describe('refusal lines', () => {
  it('name the client the request named, before it was resolved or authenticated', async () => {
    const { t, requestLine } = await loggedServer();
    const refusals: [Response, string][] = [
      // Unknown clients: refused before anything was resolved.
      [await t.send(t.authorizationUrl({ client_id: 'unknown-client' })), 'unknown-client'],
      [await t.post('/token', { grant_type: 'authorization_code', client_id: 'who' }), 'who'],
      [await t.post('/par', { client_id: 'par-nobody' }), 'par-nobody'],
      // HTTP Basic with a wrong secret, refused at authentication.
      [await t.post('/revoke', { token: 'x' }, basic('basic-app', 'wrong')), 'basic-app'],
      [await t.post('/introspect', { token: 'x' }, basic('basic-app', 'wrong')), 'basic-app'],
      // Refused before authentication (the grant_type is checked first).
      [await t.post('/token', { grant_type: 'password' }, basic('basic-app', SECRET)), 'basic-app'],
    ];
    for (const [response, clientId] of refusals) {
      const line = requestLine(response);
      assert.equal(typeof line.error, 'string', `${line.path} ${response.status} is a refusal`);
      assert.equal(line.client_id, clientId, `${line.path} ${line.reason}`);
    }
  });

  it('bound the client_id they write', async () => {
    const { t, requestLine } = await loggedServer();
    const long = `https://example.com/${'a'.repeat(3000)}`;
    const token = requestLine(await t.post('/token', { grant_type: 'authorization_code', client_id: long }));
    assert.equal(token.client_id, long.slice(0, 200));
    // Longer than a parameter may be: refused as such, and still named.
    const longer = `https://example.com/${'a'.repeat(5000)}`;
    const authorize = requestLine(await t.send(t.authorizationUrl({ client_id: longer })));
    assert.equal(authorize.reason, 'parameter_too_long');
    assert.equal(authorize.client_id, longer.slice(0, 200));
  });

  it('name the client of a registration management request', async () => {
    const { t, requestLine } = await loggedServer();
    const registered = await (
      await t.register({ redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none' })
    ).json();
    const refused = await t.manage(registered.registration_client_uri, 'GET', 'not-the-token');
    assert.equal(refused.status, 401);
    assert.equal(requestLine(refused).client_id, registered.client_id);
  });
});
