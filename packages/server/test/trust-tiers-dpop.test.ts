/** Trust tiers (issue #13 item 4): `dpop: required` (RFC 9449) refuses token requests without a proof, leaving the code usable. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { assertRefusal } from './support/refusal.ts';
import { createTestServer, ISSUER } from './support/test-server.ts';

describe('trust tiers: DPoP (RFC 9449)', () => {
  it('dpop: required refuses token requests without a proof, with a nonce, and leaves the code usable', async () => {
    const t = await createTestServer({ governance: { tiers: { trusted: { dpop: 'required' } } } });
    const callback = await t.authorize();
    const refused = await t.token(t.redeemParams(callback));
    const nonce = refused.headers.get('dpop-nonce');
    const { body } = await assertRefusal(t, refused, {
      status: 400,
      error: 'invalid_dpop_proof',
      reason: 'dpop_required_by_tier',
    });
    assert.match(String(body?.error_description), /trusted tier must send a DPoP proof/);
    assert.ok(nonce, 'the retry needs no use_dpop_nonce round trip (RFC 9449 §8)');

    const pair = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(pair.publicKey);
    const proof = await new SignJWT({
      htm: 'POST',
      htu: `${ISSUER}/token`,
      iat: Math.floor(t.now() / 1000),
      jti: crypto.randomUUID(),
      nonce,
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
      .sign(pair.privateKey);
    const bound = await t.token(t.redeemParams(callback), { dpop: proof });
    assert.equal(bound.status, 200, await bound.clone().text());
    const tokens = (await bound.json()) as { token_type: string; access_token: string };
    assert.equal(tokens.token_type, 'DPoP');
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: await calculateJwkThumbprint(jwk) });
  });
});
