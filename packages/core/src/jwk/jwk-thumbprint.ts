import { createHash } from 'node:crypto';
import { publicJwkMembers } from './public-jwk.ts';

/**
 * The RFC 7638 SHA-256 thumbprint of a public key, base64url: the JSON of its required members
 * (RFC 7638 §3.2: EC crv, kty, x, y; OKP crv, kty, x; RSA e, kty, n), in lexicographic order and
 * without whitespace, hashed. The same value jose's `calculateJwkThumbprint(jwk, 'sha256')` gives
 * (a test holds them equal), computed synchronously, so pure comparisons of key sets (the document
 * diff, the change policy) need no promise. Undefined for a key type other than EC, OKP and RSA, or
 * a key missing a required member.
 */
export function jwkThumbprint(jwk: Record<string, unknown>): string | undefined {
  const members = publicJwkMembers(jwk) as Record<string, string> | undefined;
  if (members === undefined) return undefined;
  const ordered = Object.keys(members)
    .sort()
    .map((name) => `${JSON.stringify(name)}:${JSON.stringify(members[name])}`);
  return createHash('sha256')
    .update(`{${ordered.join(',')}}`)
    .digest('base64url');
}
