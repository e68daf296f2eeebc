/**
 * Secret digests and random tokens (crypto/digest.ts): the digest is SHA-256 of the UTF-8 secret,
 * base64url (stored digests stay valid), and tokens from the pooled CSPRNG bytes never repeat.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { digest, randomToken, safeEqual } from '../src/crypto/digest.ts';

describe('digest and randomToken', () => {
  it('digest is base64url SHA-256 of the UTF-8 secret, as stored rows expect', () => {
    for (const secret of ['', 'abc', 'é✓ secret', 'x'.repeat(5000)]) {
      assert.equal(digest(secret), createHash('sha256').update(secret, 'utf8').digest('base64url'));
    }
    // RFC 6234 test vector "abc".
    assert.equal(digest('abc'), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  it('randomToken gives the asked number of bytes, base64url, and no repeats across pool refills', () => {
    assert.equal(randomToken().length, 43);
    assert.equal(Buffer.from(randomToken(12), 'base64url').length, 12);
    assert.equal(Buffer.from(randomToken(18), 'base64url').length, 18);
    assert.equal(Buffer.from(randomToken(1024), 'base64url').length, 1024, 'larger than the pool slice');
    const seen = new Set<string>();
    // 4096-byte pool, 32 bytes a token: 1,000 tokens cross several refills and odd offsets.
    for (let i = 0; i < 1000; i++) {
      const token = randomToken(i % 7 === 0 ? 20 : 32);
      assert.match(token, /^[A-Za-z0-9_-]+$/);
      assert.ok(!seen.has(token), 'a token repeated');
      seen.add(token);
    }
  });

  it('randomToken bytes are not all zero (the pool is filled before use)', () => {
    for (let i = 0; i < 200; i++) assert.notEqual(randomToken(32), Buffer.alloc(32).toString('base64url'));
  });

  it('safeEqual compares exactly', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abd'), false);
    assert.equal(safeEqual('abc', 'abcd'), false);
  });
});
