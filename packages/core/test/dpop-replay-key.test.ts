/** RFC 9449 §11.1 and AT-11: the key that spends a DPoP proof (decision 0050). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dpopReplayKey } from '../src/index.ts';

const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

describe('dpopReplayKey (§11.1, AT-11)', () => {
  it('maps the same proof to the same key, so a replay is caught', () => {
    const proof = { iat: 1_800_000_000, jkt: JKT, jti: 'a1' };
    assert.equal(dpopReplayKey(proof), dpopReplayKey({ ...proof }));
    assert.equal(dpopReplayKey(proof), `dpop:1800000000:${JKT}:a1`);
  });

  it('tells apart proofs by key, by jti and by second', () => {
    const keys = new Set([
      dpopReplayKey({ iat: 1_800_000_000, jkt: JKT, jti: 'a1' }),
      dpopReplayKey({ iat: 1_800_000_000, jkt: `${JKT.slice(0, -1)}t`, jti: 'a1' }),
      dpopReplayKey({ iat: 1_800_000_000, jkt: JKT, jti: 'a2' }),
      dpopReplayKey({ iat: 1_800_000_001, jkt: JKT, jti: 'a1' }),
    ]);
    assert.equal(keys.size, 4);
  });

  it('counts a fractional iat by its whole second', () => {
    assert.equal(
      dpopReplayKey({ iat: 1_800_000_000.75, jkt: JKT, jti: 'a1' }),
      dpopReplayKey({ iat: 1_800_000_000, jkt: JKT, jti: 'a1' }),
    );
  });

  it('leads with the second, so keys made later sort after earlier ones whatever the key', () => {
    const earlier = dpopReplayKey({ iat: 1_800_000_000, jkt: 'zzzz', jti: 'zz' });
    const later = dpopReplayKey({ iat: 1_800_000_001, jkt: 'AAAA', jti: 'AA' });
    assert.ok(earlier < later);
  });
});
