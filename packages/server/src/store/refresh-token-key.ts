import { digest } from '../crypto/digest.ts';
import { TIME_DIGITS, timePrefix } from './time-ordered-key.ts';

/**
 * How a refresh token is found in the store (decision 0051). A rotated refresh token is the time of
 * its issue (`timePrefix`, 9 base-36 digits), then its 256-bit secret part: the HMAC of the token it
 * replaced (tokens/refresh-token-derivation.ts), 43 base64url characters. It is stored under the same
 * time, then the SHA-256 of the secret part. Every store keeps refresh tokens in a B-tree by that key,
 * so one commit's successors land side by side on the index's newest pages, not each on a random leaf
 * of an index that holds every live token.
 *
 * Any other token (the first of a family, derived from its code, and every token issued before this
 * form) is stored under the SHA-256 of the whole value, as before. Both keys end with the digest of
 * the secret part, which is what identifies a successor (`sameRefreshTokenSecret`).
 */
const SECRET_LENGTH = 43;
/** The digest of the secret part, at the end of every store key: what identifies a successor. */
export const REFRESH_TOKEN_SECRET_DIGEST_LENGTH = 43;
const TIME_LED = new RegExp(`^[0-9a-z]{${TIME_DIGITS}}[A-Za-z0-9_-]{${SECRET_LENGTH}}$`);

/** A rotated refresh token issued at `now` whose secret part is `secret`. */
export function timeLedRefreshToken(now: number, secret: string): string {
  return `${timePrefix(now)}${secret}`;
}

/** The store key of the refresh token `value`, in either form. */
export function refreshTokenDigest(value: string): string {
  if (!TIME_LED.test(value)) return digest(value);
  return `${value.slice(0, TIME_DIGITS)}${digest(value.slice(TIME_DIGITS))}`;
}

/**
 * Whether two store keys are of tokens with the same secret part: a successor recorded at the first
 * rotation and the one derived again for a second presentation differ only in their time.
 */
export function sameRefreshTokenSecret(recorded: string, derived: string): boolean {
  return (
    recorded.slice(-REFRESH_TOKEN_SECRET_DIGEST_LENGTH) === derived.slice(-REFRESH_TOKEN_SECRET_DIGEST_LENGTH)
  );
}

/** The successor recorded as `recordedDigest` again, from its secret part: what a replay is answered. */
export function recordedRefreshToken(recordedDigest: string, secret: string): string {
  return `${recordedDigest.slice(0, -REFRESH_TOKEN_SECRET_DIGEST_LENGTH)}${secret}`;
}
