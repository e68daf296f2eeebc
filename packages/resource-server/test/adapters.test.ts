/** The web-standard middleware and the Express adapter (a real express app on 127.0.0.1). */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { AuthInfo as SdkAuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import express from 'express';
import {
  type AuthInfo,
  protectedResourceMetadataHandler,
  type RequestWithAuth,
  requireAccessToken,
  withAccessToken,
} from '../src/index.ts';
import { challenges, dpopKey, type Fixture, mcpRequest, RESOURCE, startFixture } from './support/fixture.ts';

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(() => f.close());

describe('withAccessToken (web standard)', () => {
  it('runs the handler with AuthInfo for a good token, answers refusals itself', async () => {
    const rs = f.rs();
    const seen: AuthInfo[] = [];
    const handler = withAccessToken(
      rs,
      async (_request, auth) => {
        seen.push(auth);
        return Response.json({ ok: true });
      },
      { scopes: ['mcp:tools'] },
    );
    const ok = await handler(mcpRequest({ authorization: `Bearer ${await f.token()}` }));
    assert.equal(ok.status, 200);
    assert.equal(seen.length, 1);
    const missing = await handler(mcpRequest());
    assert.equal(missing.status, 401);
    const narrow = await handler(
      mcpRequest({ authorization: `Bearer ${await f.token({ scope: 'other' })}` }),
    );
    assert.equal(narrow.status, 403);
    assert.equal(seen.length, 1, 'the handler never ran for a refusal');
    // AuthInfo can be handed to the MCP SDK as its own AuthInfo (compile-time check).
    const sdk: SdkAuthInfo = seen[0]!;
    assert.equal(sdk.clientId, 'https://client.example/metadata.json');
  });
  it('adds the next DPoP-Nonce to a successful response, even an immutable one', async () => {
    const rs = f.rs({ dpop: { nonceSecret: 'a-resource-server-nonce-secret-0123456789' } });
    const key = await dpopKey(f.clock.now);
    const handler = withAccessToken(rs, async () => Response.redirect('https://mcp.example/elsewhere', 302));
    const token = await f.token({ cnf: { jkt: key.jkt } });
    const first = await handler(
      mcpRequest({ authorization: `DPoP ${token}`, dpop: await key.proof({ token }) }),
    );
    assert.equal(first.status, 401);
    const nonce = first.headers.get('dpop-nonce')!;
    const second = await handler(
      mcpRequest({ authorization: `DPoP ${token}`, dpop: await key.proof({ token, nonce }) }),
    );
    assert.equal(second.status, 302);
    assert.equal(second.headers.get('dpop-nonce'), nonce);
  });
});

describe('Express adapter', () => {
  let base: string;
  let close: () => Promise<void>;
  let key: Awaited<ReturnType<typeof dpopKey>>;
  before(async () => {
    key = await dpopKey(f.clock.now);
    const rs = f.rs();
    const app = express();
    app.use(protectedResourceMetadataHandler(rs));
    app.post('/mcp', requireAccessToken(rs, { scopes: ['mcp:tools'] }), (req, res) => {
      const auth = (req as RequestWithAuth).auth!;
      res.json({ sub: auth.extra.sub, clientId: auth.clientId, jkt: auth.extra.jkt ?? null });
    });
    const router = express.Router();
    router.post('/call', requireAccessToken(rs), (_req, res) => void res.json({ ok: true }));
    app.use('/api', router);
    const server = await new Promise<import('node:http').Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
  });
  after(() => close());

  it('lets a good token through and sets req.auth', async () => {
    const response = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await f.token()}` },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      sub: 'user-alice',
      clientId: 'https://client.example/metadata.json',
      jkt: null,
    });
  });
  it('answers 401 with the challenge, and 403 insufficient_scope', async () => {
    const missing = await fetch(`${base}/mcp`, { method: 'POST' });
    assert.equal(missing.status, 401);
    assert.equal(
      challenges(missing.headers.get('www-authenticate')).get('Bearer')?.resource_metadata,
      'https://mcp.example/.well-known/oauth-protected-resource/mcp',
    );
    const narrow = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await f.token({ scope: 'other' })}` },
    });
    assert.equal(narrow.status, 403);
    assert.equal(challenges(narrow.headers.get('www-authenticate')).get('Bearer')?.scope, 'mcp:tools');
    assert.equal(((await narrow.json()) as { error: string }).error, 'insufficient_scope');
  });
  it('checks DPoP with htu from the resource origin and the original path (mounted router too)', async () => {
    const token = await f.token({ cnf: { jkt: key.jkt } });
    const response = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { authorization: `DPoP ${token}`, dpop: await key.proof({ token, htu: RESOURCE }) },
    });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { jkt: string }).jkt, key.jkt);
    const routed = await fetch(`${base}/api/call`, {
      method: 'POST',
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await key.proof({ token, htu: 'https://mcp.example/api/call' }),
      },
    });
    assert.equal(routed.status, 200);
    const replayedHeaders = { authorization: `DPoP ${token}`, dpop: await key.proof({ token }) };
    assert.equal((await fetch(`${base}/mcp`, { method: 'POST', headers: replayedHeaders })).status, 200);
    const replay = await fetch(`${base}/mcp`, { method: 'POST', headers: replayedHeaders });
    assert.equal(replay.status, 401);
    assert.equal(challenges(replay.headers.get('www-authenticate')).get('DPoP')?.error, 'invalid_dpop_proof');
  });
  it('serves the protected resource metadata at its path-inserted URL with CORS', async () => {
    const response = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    const document = (await response.json()) as Record<string, unknown>;
    assert.equal(document.resource, RESOURCE);
    assert.deepEqual(document.authorization_servers, [f.issuer]);
    assert.equal((await fetch(`${base}/.well-known/oauth-protected-resource/other`)).status, 404);
  });
});
