import type { JWK } from 'jose';

/**
 * The public members of a JWK and nothing else (RFC 7517 §6.2.1, §6.3.1, RFC 8037 §2): what a key
 * sent by a client (a DPoP proof's `jwk`, a client's `jwks`) may be imported as. Importing a copy
 * rather than the object received is what makes members that strict importers reject harmless:
 * AT Protocol clients publish public keys with `key_ops: ["sign"]`, which WebCrypto refuses, and
 * `ext`, `use` or stray private members never reach the importer. Undefined when the key type is
 * not EC, OKP or RSA, or a required member is missing.
 */
export function publicJwkMembers(jwk: Record<string, unknown>): JWK | undefined {
  const text = (name: string) => {
    const value = jwk[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const crv = text('crv');
  const x = text('x');
  switch (jwk.kty) {
    case 'EC': {
      const y = text('y');
      return crv && x && y ? { kty: 'EC', crv, x, y } : undefined;
    }
    case 'OKP':
      return crv && x ? { kty: 'OKP', crv, x } : undefined;
    case 'RSA': {
      const n = text('n');
      const e = text('e');
      return n && e ? { kty: 'RSA', n, e } : undefined;
    }
    default:
      return undefined;
  }
}
