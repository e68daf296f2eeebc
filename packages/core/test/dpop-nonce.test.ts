/** Stateless DPoP server nonces (RFC 9449 §8, AT-11): windows, sharing between instances, forgery. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDpopNonces, type DpopNonceVerdict } from '../src/index.ts';

const SECRET = 'dpop-nonce-secret-0123456789abcdef';
const MINUTE = 60_000;
// A window boundary (a multiple of 60 s, epoch ms), so "+ n minutes" lands in window + n exactly.
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % MINUTE);

describe('createDpopNonces: windows (default 60 s, 2 previous accepted)', () => {
  const nonces = createDpopNonces({ secret: SECRET });
  const issued = nonces.current(T0);

  const cases: Array<[string, number, DpopNonceVerdict]> = [
    ['same instant', T0, 'valid'],
    ['end of the same window', T0 + MINUTE - 1, 'valid'],
    ['one window later', T0 + MINUTE, 'valid'],
    ['two windows later (last accepted)', T0 + 2 * MINUTE + 59_999, 'valid'],
    ['three windows later: stale', T0 + 3 * MINUTE, 'stale'],
    ['an hour later: still ours, so stale', T0 + 60 * MINUTE, 'stale'],
    ['issued by an instance one window ahead', T0 - 1, 'valid'],
    ['more than one window ahead', T0 - MINUTE - 1, 'invalid'],
  ];
  for (const [name, now, verdict] of cases) {
    it(`${name} → ${verdict}`, () => assert.equal(nonces.check(issued, now), verdict));
  }

  it('the nonce is stable within a window and changes at the boundary', () => {
    assert.equal(nonces.current(T0 + 59_999), issued);
    assert.notEqual(nonces.current(T0 + MINUTE), issued);
  });

  it('is 32 base64url characters (NQCHAR, §8.1)', () => assert.match(issued, /^[A-Za-z0-9_-]{32}$/));
});

describe('createDpopNonces: authenticity', () => {
  const nonces = createDpopNonces({ secret: SECRET });
  const issued = nonces.current(T0);

  it('every instance with the same secret accepts every instance’s nonce', () => {
    const a = createDpopNonces({ secret: SECRET });
    const b = createDpopNonces({ secret: new TextEncoder().encode(SECRET) });
    assert.equal(a.current(T0), b.current(T0));
    assert.equal(b.check(a.current(T0), T0 + MINUTE), 'valid');
  });

  const forged = (() => {
    const bytes = Buffer.from(issued, 'base64url');
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 1] = (flipped.at(-1) ?? 0) ^ 1;
    // Counter moved forward without re-MACing: the classic "extend my nonce" attempt.
    const moved = Buffer.from(bytes);
    moved.writeBigUInt64BE(moved.readBigUInt64BE(0) + 1n, 0);
    return { flipped: flipped.toString('base64url'), moved: moved.toString('base64url') };
  })();

  const cases: Array<[string, () => string]> = [
    ['another secret', () => createDpopNonces({ secret: 'another-secret-0123456789abcdef' }).current(T0)],
    ['another window length', () => createDpopNonces({ secret: SECRET, windowSeconds: 30 }).current(T0)],
    ['a flipped MAC bit', () => forged.flipped],
    ['a counter moved without its MAC', () => forged.moved],
    ['empty', () => ''],
    ['too short', () => issued.slice(0, 31)],
    ['too long', () => `${issued}A`],
    ['not base64url', () => `${issued.slice(0, 31)}+`],
    ['random text', () => 'server-nonce'],
  ];
  for (const [name, make] of cases) {
    it(`${name} → invalid`, () => assert.equal(nonces.check(make(), T0), 'invalid'));
  }
});

describe('createDpopNonces: options', () => {
  it('acceptPrevious 0 accepts only the current window', () => {
    const nonces = createDpopNonces({ secret: SECRET, acceptPrevious: 0, windowSeconds: 300 });
    const start = T0 - (T0 % 300_000);
    const issued = nonces.current(start);
    assert.equal(nonces.check(issued, start + 299_999), 'valid');
    assert.equal(nonces.check(issued, start + 300_000), 'stale');
  });

  it('refuses windows longer than 5 minutes (AT-11), short secrets and bad counts', () => {
    assert.throws(() => createDpopNonces({ secret: SECRET, windowSeconds: 301 }), TypeError);
    assert.throws(() => createDpopNonces({ secret: SECRET, windowSeconds: 0 }), TypeError);
    assert.throws(() => createDpopNonces({ secret: SECRET, windowSeconds: 1.5 }), TypeError);
    assert.throws(() => createDpopNonces({ secret: SECRET, acceptPrevious: -1 }), TypeError);
    assert.throws(() => createDpopNonces({ secret: 'short' }), TypeError);
  });
});

describe('createDpopNonces: predicate for verifyDpopProof', () => {
  const nonces = createDpopNonces({ secret: SECRET });
  const rule = nonces.predicate(T0 + 3 * MINUTE);

  it('maps valid → true, stale → stale, invalid and missing → false', () => {
    assert.equal(rule(nonces.current(T0 + 3 * MINUTE)), true);
    assert.equal(rule(nonces.current(T0)), 'stale');
    assert.equal(rule('forged'), false);
    assert.equal(rule(undefined), false);
  });
});

describe('createDpopNonces: remembered MACs change no verdict', () => {
  it('a forged MAC on a current counter stays invalid once the genuine one was checked, and back in time', () => {
    const nonces = createDpopNonces({ secret: SECRET });
    const other = createDpopNonces({ secret: `${SECRET}-other` });
    for (let window = 0; window < 10; window++) {
      const now = T0 + window * MINUTE;
      const genuine = nonces.current(now);
      assert.equal(nonces.check(genuine, now), 'valid');
      assert.equal(nonces.check(genuine, now), 'valid');
      assert.equal(nonces.check(other.current(now), now), 'invalid');
      const bytes = Buffer.from(genuine, 'base64url');
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
      assert.equal(nonces.check(bytes.toString('base64url'), now), 'invalid');
      // The nonce of a window long gone is still recognised as ours, and stale.
      assert.equal(nonces.check(nonces.current(T0), now), window <= 2 ? 'valid' : 'stale');
    }
    // Going back in time (a clock stepped back) answers as a fresh instance would.
    const fresh = createDpopNonces({ secret: SECRET });
    assert.equal(nonces.current(T0), fresh.current(T0));
    assert.equal(
      nonces.check(nonces.current(T0 + 9 * MINUTE), T0),
      fresh.check(fresh.current(T0 + 9 * MINUTE), T0),
    );
  });
});
