/** How a refresh token is found in the store (decision 0051): rotated tokens are led by their time. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digest, randomToken } from '../src/crypto/digest.ts';
import {
  recordedRefreshToken,
  refreshTokenDigest,
  sameRefreshTokenSecret,
  timeLedRefreshToken,
} from '../src/store/refresh-token-key.ts';
import { timePrefix } from '../src/store/time-ordered-key.ts';

const T = 1_800_000_000_000;

describe('refresh token keys (decision 0051)', () => {
  it('a rotated token is its time, then its 43-character secret part; its key keeps the time', () => {
    const secret = randomToken();
    const token = timeLedRefreshToken(T, secret);
    assert.equal(token, `${timePrefix(T)}${secret}`);
    assert.equal(token.length, 52);
    assert.equal(refreshTokenDigest(token), `${timePrefix(T)}${digest(secret)}`);
  });

  it('any other token (a family’s first, or one issued before this form) is keyed by its digest, as before', () => {
    const first = randomToken();
    assert.equal(refreshTokenDigest(first), digest(first));
    assert.equal(refreshTokenDigest('not-a-token'), digest('not-a-token'));
    // 52 characters that are not a time then a secret: the whole value's digest.
    const odd = `ZZZZZZZZZ${randomToken()}`;
    assert.equal(refreshTokenDigest(odd), digest(odd));
  });

  it('keys of tokens issued later sort after earlier ones, whatever their secrets', () => {
    const earlier = refreshTokenDigest(timeLedRefreshToken(T, randomToken()));
    const later = refreshTokenDigest(timeLedRefreshToken(T + 1, randomToken()));
    assert.ok(earlier < later);
  });

  it('tampering with the time finds another key', () => {
    const secret = randomToken();
    assert.notEqual(
      refreshTokenDigest(timeLedRefreshToken(T, secret)),
      refreshTokenDigest(timeLedRefreshToken(T + 1, secret)),
    );
  });

  it('a successor derived again matches the recorded one by its secret, and the recorded one is answered', () => {
    const secret = randomToken();
    const recorded = refreshTokenDigest(timeLedRefreshToken(T, secret));
    const derivedAgain = refreshTokenDigest(timeLedRefreshToken(T + 5_000, secret));
    assert.ok(sameRefreshTokenSecret(recorded, derivedAgain));
    assert.ok(!sameRefreshTokenSecret(recorded, refreshTokenDigest(timeLedRefreshToken(T, randomToken()))));
    const answered = recordedRefreshToken(recorded, secret);
    assert.equal(answered, timeLedRefreshToken(T, secret));
    assert.equal(refreshTokenDigest(answered), recorded);
  });

  it('a successor recorded before this form (the bare secret) is answered in its old form', () => {
    const secret = randomToken();
    const recorded = digest(secret);
    assert.ok(sameRefreshTokenSecret(recorded, refreshTokenDigest(timeLedRefreshToken(T, secret))));
    assert.equal(recordedRefreshToken(recorded, secret), secret);
  });
});
