/**
 * The atproto profile's confidential (private_key_jwt) client (AT-9): key_ops tolerance, the eager
 * revocation of sessions whose key left the document, ES256 only; and DPoP required before client
 * authentication (AT-11, issue #5), with `dpop.requiredAtPar` outside the profile.
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { JoseKey } from '@atproto/jwk-jose';
import { s256 } from '@gatehouse-oauth/core';
import { calculateJwkThumbprint, generateKeyPair, type JWK, SignJWT } from 'jose';
import { CLIENT_ASSERTION_TYPE } from '../src/clients/private-key-jwt.ts';
import {
  assertionWith,
  atprotoServer,
  authorizeCode,
  CONFIDENTIAL_ID,
  codeParams,
  confidentialClient,
  DID,
  dpopKey,
  flow,
  PAR,
  post,
  proof,
  publishConfidential,
  push,
  requestParams,
  TOKEN,
  WEB_REDIRECT,
} from './support/atproto-profile.ts';
import { basic, createTestServer, ISSUER, SECRET, VERIFIER } from './support/test-server.ts';

describe('atproto profile: a confidential client (AT-9)', async () => {
  const { t, documents } = await atprotoServer();
  const dpop = await dpopKey();
  // The client's keys as @atproto/jwk-jose makes them: public JWKs carry key_ops values
  // (`verify`, `encrypt`, `wrapKey`) a strict importer refuses for signature verification.
  const first = await JoseKey.generate(['ES256'], 'key-1');
  const second = await JoseKey.generate(['ES256'], 'key-2');
  const publish = (keys: JWK[]) => publishConfidential(documents, keys);

  it('authenticates with keys whose key_ops strict libraries reject, and binds the session to the key', async () => {
    publish([first.publicJwk as JWK, { ...(second.publicJwk as JWK), key_ops: ['sign'], use: 'sig' }]);
    const withFirst = await flow(t, dpop, {
      clientId: CONFIDENTIAL_ID,
      redirectUri: WEB_REDIRECT,
      auth: assertionWith(t, first),
    });
    assert.equal(withFirst.tokens.sub, DID);
    const withSecond = await flow(t, dpop, {
      clientId: CONFIDENTIAL_ID,
      redirectUri: WEB_REDIRECT,
      auth: assertionWith(t, second),
    });
    assert.ok(
      withSecond.tokens.access_token,
      'a key published with key_ops ["sign"] and use "sig" verifies too',
    );
  });

  it('revokes the sessions of a key that left the document at the next re-check, not only at refresh', async () => {
    const families = async () =>
      (await t.store.tokenFamilies.listByClient(CONFIDENTIAL_ID)).filter(
        (family) => family.revokedAt === undefined,
      );
    assert.equal((await families()).length, 2);
    const unchanged = await t.server.recheckClientKeys();
    assert.deepEqual(unchanged, { clientsChecked: 1, clientsUnreachable: 0, familiesRevoked: 0 });

    publish([second.publicJwk as JWK]); // key-1 rotated out
    t.advance(31_000); // past the document cache's re-fetch cooldown
    const result = await t.server.recheckClientKeys();
    assert.deepEqual(result, { clientsChecked: 1, clientsUnreachable: 0, familiesRevoked: 1 });
    const live = await families();
    assert.equal(live.length, 1);
    assert.equal(
      live[0]!.clientKeyThumbprint,
      await calculateJwkThumbprint(second.publicJwk as JWK, 'sha256'),
    );
    const events = await t.store.audit.list({ type: 'token_family.revoked', clientId: CONFIDENTIAL_ID });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.reason, 'client_key_removed');
  });

  it('refuses an assertion signed with another algorithm than ES256 (AT-9)', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const answer = await push(t, dpop, {
      ...requestParams({ client_id: CONFIDENTIAL_ID, redirect_uri: WEB_REDIRECT }),
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: await new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: 'RS256', kid: 'key-2' })
        .setIssuer(CONFIDENTIAL_ID)
        .setSubject(CONFIDENTIAL_ID)
        .setAudience(ISSUER)
        .setIssuedAt(Math.floor(t.now() / 1000))
        .setExpirationTime(Math.floor(t.now() / 1000) + 60)
        .sign(rsa.privateKey),
    });
    assert.equal(answer.body.error, 'invalid_client');
    assert.equal(answer.reason, 'assertion_alg');
  });
});

describe('atproto profile: DPoP is required before client authentication (AT-11, issue #5)', async () => {
  const { t, documents } = await atprotoServer();
  const key = await dpopKey();
  const assertion = await confidentialClient(t, documents);

  it('refuses a private_key_jwt PAR without DPoP, and the same assertion then works with a proof', async () => {
    const params = {
      ...requestParams({ client_id: CONFIDENTIAL_ID, redirect_uri: WEB_REDIRECT }),
      ...(await assertion()),
    };
    const without = await post(t, PAR, params);
    assert.equal(without.status, 400);
    assert.equal(without.body.error, 'invalid_dpop_proof');
    assert.equal(without.reason, 'dpop_required');
    assert.ok(without.response.headers.get('dpop-nonce'), 'the refusal carries the nonce to use');
    // The refusal's log line names the client the form named; it was refused before authentication,
    // which the same assertion (its jti not spent) working next shows.
    assert.equal(without.clientId, CONFIDENTIAL_ID);
    const withProof = await post(t, PAR, params, { dpop: await proof(t, key, PAR) });
    assert.equal(withProof.status, 201, JSON.stringify(withProof.body));
  });

  it('refuses a token request without DPoP before authentication too (dpop.required)', async () => {
    const code = await authorizeCode(t, key, {
      clientId: CONFIDENTIAL_ID,
      redirectUri: WEB_REDIRECT,
      auth: assertion,
    });
    const params = { ...codeParams(code), ...(await assertion()) };
    const without = await post(t, TOKEN, params);
    assert.equal(without.status, 400);
    assert.equal(without.reason, 'dpop_required');
    const withProof = await post(t, TOKEN, params, { dpop: await proof(t, key, TOKEN) });
    assert.equal(withProof.status, 200, JSON.stringify(withProof.body));
  });
});

describe('dpop.requiredAtPar outside the profile', () => {
  it('is off by default and, when on, refuses a PAR without a proof before authentication', async () => {
    const params = {
      client_id: 'basic-app',
      redirect_uri: 'https://app.example.test/callback',
      response_type: 'code',
      scope: 'mcp:tools',
      resource: 'https://mcp.example.test/mcp',
      code_challenge: s256(VERIFIER),
      code_challenge_method: 'S256',
    };
    const plain = await createTestServer();
    const accepted = await post(plain, PAR, params, basic('basic-app', SECRET));
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
    const strict = await createTestServer({ dpop: { requiredAtPar: true } });
    const wrongSecret = await post(strict, PAR, params, basic('basic-app', 'not-the-secret'));
    assert.equal(wrongSecret.reason, 'dpop_required', 'the proof requirement comes before the client');
    const key = await dpopKey();
    const proved = await post(strict, PAR, params, {
      ...basic('basic-app', SECRET),
      dpop: await proof(strict, key, PAR),
    });
    assert.equal(proved.status, 201, JSON.stringify(proved.body));
  });
});
