/** Software statements at the registration endpoint (DCR-MD-11, DCR-EP-10): precedence, refusals, trusted issuers. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { errorOf, type Json, publicClient } from './support/registration.ts';
import { APP_REDIRECT, createTestServer } from './support/test-server.ts';

describe('software statements (DCR-MD-11, DCR-EP-10)', async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const other = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), alg: 'ES256' };
  const issuers = [{ iss: 'https://publisher.example', jwks: { keys: [jwk] } }];
  const sign = (claims: Json, key = privateKey, iss = 'https://publisher.example') =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setIssuer(iss).setIssuedAt().sign(key);

  it('its claims take precedence, are returned top-level, and the statement is echoed unchanged', async () => {
    const t = await createTestServer({
      registration: { policy: 'software_statement', softwareStatementIssuers: issuers },
    });
    const statement = await sign({
      software_id: 'stmt-app',
      client_name: 'From statement',
      redirect_uris: [APP_REDIRECT],
    });
    const response = await t.register({
      software_statement: statement,
      client_name: 'From JSON',
      redirect_uris: ['https://evil.example/cb'],
      token_endpoint_auth_method: 'none',
    });
    assert.equal(response.status, 201);
    const body = (await response.json()) as Json;
    assert.equal(body.client_name, 'From statement');
    assert.deepEqual(body.redirect_uris, [APP_REDIRECT]);
    assert.equal(body.software_id, 'stmt-app');
    assert.equal(body.software_statement, statement);
  });

  it('refuses a missing, malformed or badly signed statement with invalid_software_statement', async () => {
    const t = await createTestServer({
      registration: { policy: 'software_statement', softwareStatementIssuers: issuers },
    });
    const hmac = await new SignJWT({ redirect_uris: [APP_REDIRECT] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://publisher.example')
      .sign(new TextEncoder().encode('a-shared-secret-a-shared-secret!'));
    const noIssuer = await new SignJWT({ redirect_uris: [APP_REDIRECT] })
      .setProtectedHeader({ alg: 'ES256' })
      .sign(privateKey);
    // RFC 7591 §2.3, §3.2.2: each for its own cause.
    const cases: { software_statement: string | undefined; reason: string }[] = [
      { software_statement: undefined, reason: 'statement_required' },
      { software_statement: 'not.a.jwt', reason: 'statement_malformed' },
      { software_statement: hmac, reason: 'statement_alg' },
      { software_statement: noIssuer, reason: 'statement_iss_missing' },
      {
        software_statement: await sign({ redirect_uris: [APP_REDIRECT] }, other.privateKey),
        reason: 'statement_signature',
      },
    ];
    for (const { software_statement, reason } of cases) {
      const response = await t.register({
        ...publicClient,
        ...(software_statement === undefined ? {} : { software_statement }),
      });
      assert.equal(response.status, 400);
      assert.equal(await errorOf(response), 'invalid_software_statement');
      assert.equal(t.lastOutcome()?.reason, reason);
    }
    const expired = await new SignJWT({ redirect_uris: [APP_REDIRECT] })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer('https://publisher.example')
      .setExpirationTime(Math.floor(t.now() / 1000) - 3600)
      .sign(privateKey);
    assert.equal(
      await errorOf(await t.register({ ...publicClient, software_statement: expired })),
      'invalid_software_statement',
    );
    assert.equal(t.lastOutcome()?.reason, 'statement_signature');
  });

  it('refuses a valid statement from an untrusted issuer with unapproved_software_statement', async () => {
    const t = await createTestServer({
      registration: { policy: 'software_statement', softwareStatementIssuers: issuers },
    });
    const statement = await sign(
      { redirect_uris: [APP_REDIRECT] },
      other.privateKey,
      'https://stranger.example',
    );
    const response = await t.register({ ...publicClient, software_statement: statement });
    assert.equal(response.status, 400);
    assert.equal(await errorOf(response), 'unapproved_software_statement');
    assert.equal(t.lastOutcome()?.reason, 'statement_issuer_untrusted');
  });

  it('refuses to start with a software_statement policy and no issuers', async () => {
    await assert.rejects(
      createTestServer({ registration: { policy: 'software_statement' } }),
      /softwareStatementIssuers/,
    );
  });
});
