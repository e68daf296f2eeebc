import { createHmac, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import type { ServerSecretStore } from '../store/store.ts';

/**
 * Refresh token values are derived, not drawn (decision 0036): the first one of a family from the
 * code that started it, each successor from the token it replaces, by HMAC-SHA256 under a server
 * secret every instance shares (`refresh-token-derivation` in the server secret store, first writer
 * wins). So a credential has exactly one successor, and a second presentation of it (a parallel
 * refresh, the retry of an exchange whose answer was lost) can be answered with that same token
 * without the token being kept anywhere: the store still holds only digests, and the value follows
 * only from a credential the presenter already holds. Domain-separated, so a code and a refresh
 * token with the same characters never give one value.
 */
export interface RefreshTokenDerivation {
  /** The first refresh token of the family the authorization code `code` starts. */
  ofCode(code: string): Promise<string>;
  /** The one successor of the refresh token `refreshToken`. */
  successorOf(refreshToken: string): Promise<string>;
}

/** The name of the shared HMAC key in the server secret store. */
export const REFRESH_TOKEN_DERIVATION_SECRET = 'refresh-token-derivation';

export function createRefreshTokenDerivation(secrets: ServerSecretStore): RefreshTokenDerivation {
  // Memoised; a store failure is not remembered, so the next request tries again.
  // A secret KeyObject, made once: given as bytes, createHmac asks "is it a KeyObject? a CryptoKey?"
  // by native exceptions on every call (2–3 % of a refresh in the bench profile, issue #18 finding 11;
  // the same mechanism as the DPoP nonce's HMAC in docs/benchmarks.md). Same MAC, same bytes.
  let pending: Promise<KeyObject> | undefined;
  const key = (): Promise<KeyObject> => {
    pending ??= secrets
      .getOrCreate(REFRESH_TOKEN_DERIVATION_SECRET, () => randomBytes(32).toString('base64url'))
      .then((secret) => createSecretKey(Buffer.from(secret, 'base64url')))
      .catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
    return pending;
  };
  /** 256 bits, base64url: the same shape as a drawn token (crypto/digest.ts randomToken). */
  const derive = async (purpose: string, from: string): Promise<string> =>
    createHmac('sha256', await key())
      .update(`gatehouse/${purpose}\0`)
      .update(from)
      .digest('base64url');
  return {
    ofCode: (code) => derive('refresh-token-of-code', code),
    successorOf: (refreshToken) => derive('refresh-token-successor', refreshToken),
  };
}
