/** The registration endpoint's initial access token policy (DCR-EP-3, DCR-EP-4, DCR-ERR-3): tokens, uses and scope limits. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digest } from '../src/crypto/digest.ts';
import { errorOf, type Json, publicClient } from './support/registration.ts';
import { createTestServer, ISSUER } from './support/test-server.ts';

describe('initial access token policy (DCR-EP-3, DCR-ERR-3)', () => {
  async function withToken(maxUses?: number, scope?: string) {
    const t = await createTestServer({ registration: { policy: 'initial_access_token' } });
    await t.store.initialAccessTokens.create({
      id: 'iat-1',
      digest: digest('the-initial-access-token'),
      createdAt: t.now(),
      uses: 0,
      ...(maxUses === undefined ? {} : { maxUses }),
      ...(scope === undefined ? {} : { scope }),
    });
    return t;
  }
  const bearer = { authorization: 'Bearer the-initial-access-token' };

  it('refuses a missing or wrong token with 401 invalid_token and a Bearer challenge', async () => {
    const t = await withToken();
    const missing = await t.register(publicClient);
    assert.equal(missing.status, 401);
    assert.equal(await errorOf(missing), 'invalid_token');
    assert.equal(t.lastOutcome()?.reason, 'token_missing');
    assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/);
    const wrong = await t.register(publicClient, { authorization: 'Bearer wrong' });
    assert.equal(wrong.status, 401);
    assert.equal(t.lastOutcome()?.reason, 'initial_access_token_invalid');
    const malformed = await t.register(publicClient, { authorization: 'Bearer two words' });
    assert.equal(malformed.status, 401);
    assert.equal(await errorOf(malformed), 'invalid_token');
    assert.equal(t.lastOutcome()?.reason, 'bearer_malformed');
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
    const ok = await t.register(publicClient, { authorization: 'Bearer the-initial-access-token' });
    assert.equal(ok.status, 201);
    const record = await t.store.clients.get(((await ok.json()) as Json).client_id as string);
    assert.equal(record?.registration?.initialAccessTokenId, 'iat-1');
  });

  it('counts uses atomically: concurrent registrations never exceed maxUses', async () => {
    const t = await withToken(3);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.register(
          { ...publicClient, client_name: `c${i}` },
          { authorization: 'Bearer the-initial-access-token' },
          {
            remoteAddress: `192.0.2.${i + 10}`,
          },
        ),
      ),
    );
    assert.equal(responses.filter((r) => r.status === 201).length, 3);
    assert.equal(responses.filter((r) => r.status === 401).length, 7);
  });

  it('does not spend a use on an invalid body', async () => {
    const t = await withToken(1);
    const bad = await t.register(
      { redirect_uris: ['http://x.example/cb'] },
      { authorization: 'Bearer the-initial-access-token' },
    );
    assert.equal(bad.status, 400);
    const good = await t.register(publicClient, { authorization: 'Bearer the-initial-access-token' });
    assert.equal(good.status, 201);
  });

  it('a token scope limit: within it registers as asked, none asked registers the limit (DCR-EP-4)', async () => {
    const t = await withToken(undefined, 'mcp:tools api:read');
    const within = (await (await t.register({ ...publicClient, scope: 'mcp:tools' }, bearer)).json()) as Json;
    assert.equal(within.scope, 'mcp:tools');
    const unnamed = (await (await t.register(publicClient, bearer)).json()) as Json;
    assert.equal(unnamed.scope, 'mcp:tools api:read');
    assert.equal(
      (await t.store.clients.get(unnamed.client_id as string))?.metadata.scope,
      'mcp:tools api:read',
    );
    // Unlimited tokens leave scope alone: no scope asked, none registered.
    await t.store.initialAccessTokens.create({
      id: 'iat-2',
      digest: digest('unlimited'),
      createdAt: t.now(),
      uses: 0,
    });
    const free = (await (
      await t.register(publicClient, { authorization: 'Bearer unlimited' })
    ).json()) as Json;
    assert.equal('scope' in free, false);
  });

  it('refuses a scope beyond the token limit with invalid_client_metadata, spending no use', async () => {
    const t = await withToken(1, 'mcp:tools');
    const wider = await t.register({ ...publicClient, scope: 'mcp:tools mcp:admin' }, bearer);
    assert.equal(wider.status, 400);
    const body = (await wider.json()) as Json;
    assert.equal(body.error, 'invalid_client_metadata');
    assert.match(String(body.error_description), /mcp:admin/);
    const [refused] = await t.store.audit.list({ type: 'client.registration_refused' });
    assert.equal(refused?.reason, 'scope_exceeds_initial_access_token');
    assert.equal((await t.store.initialAccessTokens.list())[0]?.uses, 0);
    // The one use is still there for an acceptable request (DCR-SEC-4).
    assert.equal((await t.register(publicClient, bearer)).status, 201);
  });

  it('a wrong token with an out-of-limit scope is still a 401, not a scope error', async () => {
    const t = await withToken(undefined, 'mcp:tools');
    const response = await t.register(
      { ...publicClient, scope: 'mcp:admin' },
      { authorization: 'Bearer wrong' },
    );
    assert.equal(response.status, 401);
  });

  it('the limited client cannot obtain a scope outside the limit at the authorization endpoint', async () => {
    const t = await withToken(undefined, 'mcp:tools');
    const client = (await (await t.register(publicClient, bearer)).json()) as Json;
    const clientId = client.client_id as string;
    const allowed = await t.authorize({ client_id: clientId, scope: 'mcp:tools' });
    assert.ok(allowed.searchParams.get('code'), allowed.href);
    const beyond = await t.send(t.authorizationUrl({ client_id: clientId, scope: 'mcp:admin' }));
    const location = new URL(beyond.headers.get('location') ?? '', ISSUER);
    assert.equal(location.searchParams.get('error'), 'invalid_scope', location.href);
  });
});
