/**
 * The Node adapter `gatehouse serve` mounts the server with (http-listener.ts, decision 0021): real
 * sockets on loopback, raw node:http requests, so the framing (Content-Length or chunked) is what
 * the test says it is. The form cap holds on both paths, and answers keep their status, headers and
 * bytes through the adapter's lightweight Response.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createAuthorizationServer, createMemoryStore, prepareStaticClient } from '@gatehouse-oauth/server';
import { type Listener, listen } from '../src/http-listener.ts';

const SECRET = 'a-listener-test-secret-that-is-long-enough-0123456789';
const REDIRECT = 'https://app.example.test/callback';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  port: number,
  options: { method: string; path: string; headers?: Record<string, string>; chunks?: string[] },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: options.method, path: options.path, headers: options.headers },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

function parForm(extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    response_type: 'code',
    redirect_uri: REDIRECT,
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    resource: 'https://mcp.example.test/mcp',
    state: 'xyz',
    ...extra,
  }).toString();
}

const BASIC = `Basic ${Buffer.from(`basic-app:${SECRET}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';

describe('http listener (the adapter of gatehouse serve)', () => {
  let listener: Listener;
  let port: number;
  before(async () => {
    const store = createMemoryStore();
    let server: ReturnType<typeof createAuthorizationServer> | undefined;
    listener = await listen({
      host: '127.0.0.1',
      port: 0,
      fetch: (request, info) => server!.fetch(request, info),
    });
    port = listener.port;
    server = createAuthorizationServer({
      issuer: `http://localhost:${port}`,
      store,
      resources: [
        { uri: 'https://mcp.example.test/mcp', scopes: ['mcp:tools'], defaultScopes: ['mcp:tools'] },
      ],
      cimd: { enabled: false },
    });
    await store.clients.put(
      prepareStaticClient(
        {
          client_id: 'basic-app',
          client_secret: SECRET,
          redirect_uris: [REDIRECT],
          token_endpoint_auth_method: 'client_secret_basic',
          grant_types: ['authorization_code', 'refresh_token'],
        },
        Date.now(),
      ).record,
    );
  });
  after(() => listener.close());

  const headers = (extra: Record<string, string> = {}) => ({
    host: `localhost:${port}`,
    'content-type': FORM,
    authorization: BASIC,
    ...extra,
  });

  it('PAR framed by Content-Length: 201 with the body, no-store and an exact Content-Length', async () => {
    const body = parForm();
    const answer = await send(port, {
      method: 'POST',
      path: '/par',
      headers: headers({ 'content-length': String(Buffer.byteLength(body)) }),
      chunks: [body],
    });
    assert.equal(answer.status, 201, answer.body);
    const json = JSON.parse(answer.body) as { request_uri: string; expires_in: number };
    assert.match(json.request_uri, /^urn:ietf:params:oauth:request_uri:/);
    assert.equal(answer.headers['content-type'], 'application/json');
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.equal(answer.headers.pragma, 'no-cache');
    assert.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.body)));
  });

  it('PAR sent chunked (no Content-Length): read from the stream, same answer', async () => {
    const body = parForm();
    const answer = await send(port, {
      method: 'POST',
      path: '/par',
      headers: headers(),
      chunks: [body.slice(0, 20), body.slice(20)],
    });
    assert.equal(answer.status, 201, answer.body);
  });

  it('a declared Content-Length over 64 KiB is refused with 413 body_too_large', async () => {
    const body = parForm({ padding: 'x'.repeat(70 * 1024) });
    const answer = await send(port, {
      method: 'POST',
      path: '/par',
      headers: headers({ 'content-length': String(Buffer.byteLength(body)) }),
      chunks: [body],
    });
    assert.equal(answer.status, 413);
    assert.equal((JSON.parse(answer.body) as { error: string }).error, 'invalid_request');
  });

  it('a chunked body over 64 KiB is cut at the cap with 413', async () => {
    const chunk = 'x'.repeat(8 * 1024);
    const answer = await send(port, {
      method: 'POST',
      path: '/par',
      headers: headers(),
      chunks: [parForm(), '&padding=', ...Array.from({ length: 10 }, () => chunk)],
    });
    assert.equal(answer.status, 413);
  });

  it('client authentication failures keep their challenge header (RFC 6749 §5.2)', async () => {
    const body = parForm();
    const answer = await send(port, {
      method: 'POST',
      path: '/par',
      headers: headers({
        authorization: `Basic ${Buffer.from('basic-app:wrong').toString('base64')}`,
        'content-length': String(Buffer.byteLength(body)),
      }),
      chunks: [body],
    });
    assert.equal(answer.status, 401);
    assert.match(String(answer.headers['www-authenticate']), /^Basic realm="gatehouse"/);
    assert.equal((JSON.parse(answer.body) as { error: string }).error, 'invalid_client');
  });

  it('GET documents and not-found answers come through with their headers', async () => {
    const metadata = await send(port, {
      method: 'GET',
      path: '/.well-known/oauth-authorization-server',
      headers: { host: `localhost:${port}` },
    });
    assert.equal(metadata.status, 200);
    assert.equal((JSON.parse(metadata.body) as { issuer: string }).issuer, `http://localhost:${port}`);
    const missing = await send(port, {
      method: 'GET',
      path: '/nowhere',
      headers: { host: `localhost:${port}` },
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['content-type'], 'application/json');
  });

  it('Request and Response stay standard classes in the process (instanceof both ways)', async () => {
    const built = new Response('{"a":1}', { status: 201, headers: { 'content-type': 'application/json' } });
    assert.ok(built instanceof Response);
    assert.equal(built.status, 201);
    assert.deepEqual(await built.json(), { a: 1 });
    const fetched = await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`, {
      headers: { host: `localhost:${port}` },
    });
    assert.ok(fetched instanceof Response);
    assert.ok(new Request('http://localhost/') instanceof Request);
  });
});
