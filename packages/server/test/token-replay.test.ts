/**
 * Issue #18 at the token endpoint (decision 0036): a code or a rotated refresh token presented again
 * is answered with the same session and refresh token within the grace, a bounded number of times
 * (lifetimes.refreshReuseCount), and refused past the count with the session kept; after the grace,
 * or as anything but the same request again, it is a reuse and revokes the session (RFC 6749
 * §4.1.2, RFC 9700 §4.14.2). The crash and outage versions are in sqlite-crash.test.ts and
 * store-postgres/test/exactly-once.test.ts. A DPoP-bound code keeps its key on a retry.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { timePrefix } from '../src/store/time-ordered-key.ts';
import { APP_REDIRECT, createTestServer, ISSUER, VERIFIER } from './support/test-server.ts';

type Body = Record<string, unknown>;

async function expectError(response: Response, status: number, error: string): Promise<Body> {
  const body = (await response.json()) as Body;
  assert.equal(response.status, status, JSON.stringify(body));
  assert.equal(body.error, error, JSON.stringify(body));
  return body;
}

async function codeFor(t: Awaited<ReturnType<typeof createTestServer>>) {
  return (await t.authorize()).searchParams.get('code')!;
}

function redeem(code: string, extra: Record<string, string> = {}) {
  return {
    grant_type: 'authorization_code',
    code,
    redirect_uri: APP_REDIRECT,
    client_id: 'public-app',
    code_verifier: VERIFIER,
    ...extra,
  };
}

function refresh(refreshToken: string) {
  return { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'public-app' };
}

describe('a code presented again', () => {
  it('answers the retry of a redemption with the same session and refresh token, once', async () => {
    const t = await createTestServer();
    const code = await codeFor(t);
    const first = (await (await t.token(redeem(code))).json()) as Body;
    t.advance(10_000); // the retry comes at the end of the grace
    const retry = await t.token(redeem(code));
    assert.equal(retry.status, 200);
    const again = (await retry.json()) as Body;
    assert.equal(again.refresh_token, first.refresh_token);
    assert.notEqual(again.access_token, first.access_token, 'a new access token of the same session');
    // Past the reuse count: refused, and the session kept.
    await expectError(await t.token(redeem(code)), 400, 'invalid_grant');
    assert.equal(t.lastOutcome()?.reason, 'code_replay_limit');
    assert.equal((await t.token(refresh(first.refresh_token as string))).status, 200);
    assert.equal((await t.store.audit.list({ type: 'code.reused' })).length, 0);
  });

  it('a retry that is not the same redemption is a reuse: a wrong verifier revokes the session', async () => {
    const t = await createTestServer();
    const code = await codeFor(t);
    const first = (await (await t.token(redeem(code))).json()) as Body;
    await expectError(await t.token(redeem(code, { code_verifier: 'x'.repeat(43) })), 400, 'invalid_grant');
    assert.equal(t.lastOutcome()?.reason, 'code_reused');
    await expectError(await t.token(refresh(first.refresh_token as string)), 400, 'invalid_grant');
    assert.equal(t.lastOutcome()?.reason, 'family_revoked');
  });

  it('with refresh_grace_seconds 0, any second presentation of a code is a reuse', async () => {
    const t = await createTestServer({ lifetimes: { refreshGraceSeconds: 0 } });
    const code = await codeFor(t);
    assert.equal((await t.token(redeem(code))).status, 200);
    await expectError(await t.token(redeem(code)), 400, 'invalid_grant');
    assert.equal(t.lastOutcome()?.reason, 'code_reused');
  });
});

describe('a rotated refresh token presented again', () => {
  for (const reuseCount of [1, 3]) {
    it(`20 concurrent presentations in the grace (reuse count ${reuseCount}): one chain, then reuse revokes it`, async () => {
      const t = await createTestServer({ lifetimes: { refreshReuseCount: reuseCount } });
      const { refresh_token } = await t.tokensFor();
      const responses = await Promise.all(Array.from({ length: 20 }, () => t.token(refresh(refresh_token!))));
      const answers = (await Promise.all(responses.map((r) => r.json()))) as Body[];
      const issued = answers.filter((body) => body.refresh_token !== undefined);
      assert.equal(issued.length, 1 + reuseCount, 'the rotation and reuseCount replays');
      assert.equal(new Set(issued.map((body) => body.refresh_token)).size, 1, 'all the same successor');
      assert.deepEqual(
        t.outcomes().map((outcome) => outcome.reason),
        Array(19 - reuseCount).fill('refresh_token_replay_limit'),
      );
      const successor = issued[0]!.refresh_token as string;
      // After the grace, the rotated token again: theft; the one chain is revoked.
      t.advance(10_001);
      await expectError(await t.token(refresh(refresh_token!)), 400, 'invalid_grant');
      assert.equal(t.lastOutcome()?.reason, 'refresh_token_reused');
      await expectError(await t.token(refresh(successor)), 400, 'invalid_grant');
      assert.equal(t.lastOutcome()?.reason, 'family_revoked');
      assert.equal((await t.store.audit.list({ type: 'refresh_token.reused' })).length, 1);
    });
  }

  it('presented again seconds later in the grace: the same successor, led by the time of the first rotation (decision 0051)', async () => {
    const t = await createTestServer();
    const { refresh_token } = await t.tokensFor();
    const issuedAt = t.now();
    const first = (await (await t.token(refresh(refresh_token!))).json()) as { refresh_token: string };
    assert.equal(
      first.refresh_token.slice(0, 9),
      timePrefix(issuedAt),
      'a rotated token begins with its time',
    );
    t.advance(5_000);
    const again = (await (await t.token(refresh(refresh_token!))).json()) as { refresh_token: string };
    assert.equal(again.refresh_token, first.refresh_token);
    // The successor answered twice is one live token, and it rotates.
    assert.equal((await t.token(refresh(first.refresh_token))).status, 200);
  });

  it('with a reuse count of 0, a second presentation in the grace is refused and the session kept', async () => {
    const t = await createTestServer({ lifetimes: { refreshReuseCount: 0 } });
    const { refresh_token } = await t.tokensFor();
    const next = (await (await t.token(refresh(refresh_token!))).json()) as { refresh_token: string };
    await expectError(await t.token(refresh(refresh_token!)), 400, 'invalid_grant');
    assert.equal(t.lastOutcome()?.reason, 'refresh_token_replay_limit');
    assert.equal((await t.token(refresh(next.refresh_token))).status, 200);
  });

  it('with refresh_grace_seconds 0, a second presentation even in the same millisecond revokes', async () => {
    const t = await createTestServer({ lifetimes: { refreshGraceSeconds: 0 } });
    const { refresh_token } = await t.tokensFor();
    assert.equal((await t.token(refresh(refresh_token!))).status, 200);
    await expectError(await t.token(refresh(refresh_token!)), 400, 'invalid_grant');
    assert.equal(t.lastOutcome()?.reason, 'refresh_token_reused');
  });
});

describe('a DPoP-bound code presented again (RFC 9449 §5)', () => {
  /** A fresh proof for the token endpoint, made by the key's holder (nonces are off here). */
  const prover = async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    return async (t: Awaited<ReturnType<typeof createTestServer>>) =>
      new SignJWT({ htm: 'POST', htu: `${ISSUER}/token`, iat: Math.floor(t.now() / 1000), jti: randomUUID() })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
        .sign(privateKey);
  };

  it('with a fresh proof of the same key: the same session; the same proof again: a replayed proof', async () => {
    const t = await createTestServer({ dpop: { nonce: 'off' } });
    const proof = await prover();
    const code = await codeFor(t);
    const sent = await proof(t);
    const first = (await (await t.token(redeem(code), { dpop: sent })).json()) as Body;
    assert.equal(first.token_type, 'DPoP');
    await expectError(await t.token(redeem(code), { dpop: sent }), 400, 'invalid_dpop_proof');
    assert.equal(t.lastOutcome()?.reason, 'dpop_replay');
    const retry = await t.token(redeem(code), { dpop: await proof(t) });
    assert.equal(retry.status, 200);
    assert.equal(((await retry.json()) as Body).refresh_token, first.refresh_token);
  });

  it('with a proof of another key: a reuse, and the session revoked', async () => {
    const t = await createTestServer({ dpop: { nonce: 'off' } });
    const [proof, other] = await Promise.all([prover(), prover()]);
    const code = await codeFor(t);
    const first = (await (await t.token(redeem(code), { dpop: await proof(t) })).json()) as Body;
    await expectError(await t.token(redeem(code), { dpop: await other(t) }), 400, 'invalid_grant');
    assert.equal(t.lastOutcome()?.reason, 'code_reused');
    await expectError(
      await t.token(refresh(first.refresh_token as string), { dpop: await proof(t) }),
      400,
      'invalid_grant',
    );
    assert.equal(t.lastOutcome()?.reason, 'family_revoked');
  });
});
