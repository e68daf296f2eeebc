/**
 * The derived refresh tokens of decision 0036 are HMAC-SHA256 under the shared secret; the key is
 * now a KeyObject made once (issue #18, finding 11). The values must not change: tokens derived
 * before and after an upgrade must be the same, or a retry across it would be refused.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { createMemoryStore } from '../src/index.ts';
import {
  createRefreshTokenDerivation,
  REFRESH_TOKEN_DERIVATION_SECRET,
} from '../src/tokens/refresh-token-derivation.ts';

describe('refresh token derivation', () => {
  it('derives the same bytes as HMAC-SHA256 over the raw secret, domain-separated', async () => {
    const store = createMemoryStore();
    const secret = Buffer.alloc(32, 7).toString('base64url');
    await store.serverSecrets.getOrCreate(REFRESH_TOKEN_DERIVATION_SECRET, () => secret);
    const derivation = createRefreshTokenDerivation(store.serverSecrets);
    const expected = (purpose: string, from: string) =>
      createHmac('sha256', Buffer.from(secret, 'base64url'))
        .update(`gatehouse/${purpose}\0${from}`)
        .digest('base64url');
    assert.equal(await derivation.ofCode('a-code'), expected('refresh-token-of-code', 'a-code'));
    assert.equal(await derivation.successorOf('a-code'), expected('refresh-token-successor', 'a-code'));
    assert.notEqual(await derivation.ofCode('x'), await derivation.successorOf('x'));
  });
});
