/**
 * AT-13: CORS headers on the endpoints browser clients call (http/cors.ts). The endpoints' own
 * answers get them in place; answers with immutable headers are copied.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CORS_EXPOSED_HEADERS, corsEndpoint, withCorsHeaders } from '../src/http/cors.ts';
import { requestScope, withRequestScope } from '../src/http/request-id.ts';
import { carriesAnswerHeaders, jsonResponse } from '../src/http/responses.ts';
import { basic, createTestServer } from './support/test-server.ts';

describe('CORS (AT-13)', () => {
  it('adds the headers to an endpoint answer in place, body and other headers intact', async () => {
    const answer = jsonResponse(
      { error: 'invalid_request' },
      { status: 400, headers: { 'dpop-nonce': 'n1' } },
    );
    const withCors = withCorsHeaders(answer);
    assert.equal(withCors, answer);
    assert.equal(withCors.status, 400);
    assert.equal(withCors.headers.get('access-control-allow-origin'), '*');
    assert.equal(withCors.headers.get('access-control-expose-headers'), CORS_EXPOSED_HEADERS);
    assert.equal(withCors.headers.get('dpop-nonce'), 'n1');
    assert.equal(withCors.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await withCors.json(), { error: 'invalid_request' });
  });

  it('copies an answer whose headers are immutable (Response.redirect)', async () => {
    const redirect = Response.redirect('https://app.example.test/cb', 303);
    const withCors = withCorsHeaders(redirect);
    assert.notEqual(withCors, redirect);
    assert.equal(withCors.status, 303);
    assert.equal(withCors.headers.get('location'), 'https://app.example.test/cb');
    assert.equal(withCors.headers.get('access-control-allow-origin'), '*');
    assert.equal(redirect.headers.get('access-control-allow-origin'), null);
  });

  it('answers a preflight and decorates errors; disabled, the handler is untouched', async () => {
    const handler = async () => jsonResponse({ error: 'invalid_client' }, { status: 401 });
    const endpoint = corsEndpoint(handler, ['POST'], true);
    const preflight = await endpoint(new Request('https://as.example.test/token', { method: 'OPTIONS' }));
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'POST, OPTIONS');
    const error = await endpoint(new Request('https://as.example.test/token', { method: 'POST' }));
    assert.equal(error.status, 401);
    assert.equal(error.headers.get('access-control-allow-origin'), '*');
    assert.equal(corsEndpoint(handler, ['POST'], false), handler);
  });

  it('while a request is served, joins its answer headers, which its JSON answer is built with (decision 0048)', async () => {
    const endpoint = corsEndpoint(async () => jsonResponse({ ok: true }), ['POST'], true);
    const answer = await withRequestScope(requestScope('req-0123456789'), () =>
      endpoint(new Request('https://as.example.test/token', { method: 'POST' })),
    );
    assert.equal(carriesAnswerHeaders(answer), true);
    assert.equal(answer.headers.get('access-control-allow-origin'), '*');
    assert.equal(answer.headers.get('access-control-expose-headers'), CORS_EXPOSED_HEADERS);
    assert.equal(answer.headers.get('x-request-id'), 'req-0123456789');
    // Outside a request nothing is joined: the answer is marked only when built in one.
    assert.equal(carriesAnswerHeaders(jsonResponse({ ok: true })), false);
  });

  it("reaches the token endpoint's answers through the server, refusals included", async () => {
    const t = await createTestServer({ cors: true });
    const refused = await t.post(
      '/token',
      { grant_type: 'refresh_token', refresh_token: 'x' },
      basic('basic-app', 'wrong'),
    );
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('access-control-allow-origin'), '*');
    assert.equal(refused.headers.get('access-control-expose-headers'), CORS_EXPOSED_HEADERS);
    assert.match(refused.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    // An endpoint without CORS gets none, though its answer is built the same way.
    const introspection = await t.post('/introspect', { token: 'x' });
    assert.equal(introspection.headers.get('access-control-allow-origin'), null);
    assert.match(introspection.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });
});
