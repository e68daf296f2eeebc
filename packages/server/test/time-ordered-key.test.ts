/** Issue #18 finding 11: keys written on the request paths sort as their time does (store/time-ordered-key.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timeOrderedToken, timePrefix } from '../src/store/time-ordered-key.ts';

describe('time-ordered keys', () => {
  it('have a fixed-width prefix that sorts as the time does, from the epoch to the year 5000', () => {
    const times = [0, 1, 35, 36, Date.UTC(2026, 11, 7), Date.UTC(2026, 11, 7) + 1, Date.UTC(5000, 0, 1)];
    const prefixes = times.map(timePrefix);
    assert.ok(prefixes.every((prefix) => prefix.length === 9));
    assert.deepEqual([...prefixes].sort(), prefixes);
    assert.equal(timePrefix(-5), timePrefix(0));
    assert.equal(timePrefix(1.9), timePrefix(1));
  });

  it('are base64url, carry 256 random bits behind the prefix, and never repeat', () => {
    const now = Date.UTC(2026, 11, 7, 9, 30);
    const tokens = Array.from({ length: 1000 }, () => timeOrderedToken(now));
    for (const token of tokens) {
      assert.match(token, /^[0-9a-z]{9}[A-Za-z0-9_-]{43}$/);
      assert.ok(token.startsWith(timePrefix(now)));
    }
    assert.equal(new Set(tokens).size, tokens.length);
    assert.ok(timeOrderedToken(now).slice(0, 9) < timeOrderedToken(now + 1000).slice(0, 9));
  });
});
