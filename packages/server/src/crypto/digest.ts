import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Secrets the server hands out (codes, tokens, session ids, client secrets) are 256-bit random
 * values, so a plain SHA-256 digest is the right way to store them: there is nothing to
 * brute-force, and lookups stay a single indexed equality.
 */
export function digest(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/** A fresh 256-bit secret, base64url (43 chars). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Constant-time comparison of two strings (lengths may differ; that alone leaks nothing useful). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
