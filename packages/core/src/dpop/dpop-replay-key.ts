import type { VerifiedDpopProof } from './dpop-proof.ts';

/**
 * The replay-store key that spends a verified DPoP proof (RFC 9449 §11.1, AT-11):
 * `dpop:<iat second>:<jkt>:<jti>`. The authorization server and the resource server both use it.
 *
 * The proof's second comes first because the replay store keeps its keys in a B-tree (SQLite's
 * and PostgreSQL's unique index). Keys led by the thumbprint land on a random leaf each, and a
 * group commit of a dozen refreshes wrote a dozen index pages for them. Keys led by the second land
 * side by side at the end of the index, in one or two pages (decision 0050).
 *
 * A replay is the same proof presented again. Its `iat` is signed, so it maps to the same key and
 * is refused. A second proof with the same `jti` and another second can only come from the key's
 * holder, and it is accepted. That is no weaker than AT-11's "the history can be scoped per
 * nonce". A fractional `iat` counts by its whole second.
 */
export function dpopReplayKey(proof: Pick<VerifiedDpopProof, 'iat' | 'jkt' | 'jti'>): string {
  return `dpop:${Math.floor(proof.iat)}:${proof.jkt}:${proof.jti}`;
}
