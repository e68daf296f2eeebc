/**
 * The value-level diff of two versions of a client's metadata (issue #14, item 2) and the RFC 7638
 * thumbprint it names keys by.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { calculateJwkThumbprint } from 'jose';
import { changesKeysOrRedirects, diffClientMetadata, isEmptyDiff, jwkThumbprint } from '../src/index.ts';

/** RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint. */
const RFC_7638_KEY = {
  kty: 'RSA',
  n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
};

function publicJwk(type: 'ec' | 'ed25519' | 'rsa', kid: string): Record<string, unknown> {
  const options = type === 'ec' ? { namedCurve: 'P-256' } : type === 'rsa' ? { modulusLength: 2048 } : {};
  const { publicKey } = generateKeyPairSync(type as 'ec', options as { namedCurve: string });
  return { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig' };
}

const A = publicJwk('ec', 'a');
const B = publicJwk('ec', 'b');
const C = publicJwk('ed25519', 'c');

describe('jwkThumbprint (RFC 7638)', () => {
  it("is the RFC's own example value", () => {
    assert.equal(jwkThumbprint(RFC_7638_KEY), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('equals jose calculateJwkThumbprint for EC, OKP and RSA keys, whatever else the key carries', async () => {
    for (const key of [A, C, publicJwk('rsa', 'r')]) {
      assert.equal(jwkThumbprint(key), await calculateJwkThumbprint(key as never, 'sha256'));
      assert.equal(jwkThumbprint({ ...key, kid: 'renamed', key_ops: ['verify'] }), jwkThumbprint(key));
    }
  });

  it('has none for a key type without an RFC 7638 member set, or a key missing a member', () => {
    assert.equal(jwkThumbprint({ kty: 'oct', k: 'c2VjcmV0' }), undefined);
    assert.equal(jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'x' }), undefined);
  });
});

describe('diffClientMetadata', () => {
  const base = {
    client_id: 'https://app.example/client.json',
    client_name: 'App',
    redirect_uris: ['https://app.example/a', 'https://app.example/b'],
    jwks: { keys: [A, B] },
    token_endpoint_auth_method: 'private_key_jwt',
  };

  it('names redirect URIs added and removed, in the order of the version that has them', () => {
    const diff = diffClientMetadata(base, {
      ...base,
      redirect_uris: ['https://new.example/cb', 'https://app.example/b', 'https://app.example/c'],
    });
    assert.deepEqual(diff.redirectUris, {
      added: ['https://new.example/cb', 'https://app.example/c'],
      removed: ['https://app.example/a'],
    });
    assert.ok(changesKeysOrRedirects(diff));
  });

  it('names keys added, removed and kept by thumbprint, with their kid', () => {
    const diff = diffClientMetadata(base, { ...base, jwks: { keys: [B, C] } });
    const named = (key: Record<string, unknown>) => ({
      thumbprint: jwkThumbprint(key)!,
      rfc7638: true,
      kid: key.kid,
      kty: key.kty,
    });
    assert.deepEqual(diff.keys, { added: [named(C)], removed: [named(A)], kept: [named(B)] });
    assert.deepEqual(diff.members, []);
    assert.ok(changesKeysOrRedirects(diff));
  });

  it('a new kid on the same key is no key change, but a change of the jwks member', () => {
    const renamed = { keys: [{ ...A, kid: 'a2' }, B] };
    const diff = diffClientMetadata(base, { ...base, jwks: renamed });
    assert.deepEqual(diff.keys.added, []);
    assert.deepEqual(diff.keys.removed, []);
    assert.deepEqual(diff.members, [{ member: 'jwks', before: base.jwks, after: renamed }]);
    assert.equal(changesKeysOrRedirects(diff), false);
  });

  it('names jwks_uri before and after, leaving out an unset side', () => {
    const { jwks: _jwks, ...withoutKeys } = base;
    const moved = diffClientMetadata(
      { ...withoutKeys, jwks_uri: 'https://app.example/jwks' },
      { ...withoutKeys, jwks_uri: 'https://keys.example/jwks' },
    );
    assert.deepEqual(moved.jwksUri, {
      before: 'https://app.example/jwks',
      after: 'https://keys.example/jwks',
    });
    const added = diffClientMetadata(withoutKeys, { ...withoutKeys, jwks_uri: 'https://app.example/jwks' });
    assert.deepEqual(added.jwksUri, { after: 'https://app.example/jwks' });
  });

  it('gives every other member old → new, by name, an unset side absent', () => {
    const diff = diffClientMetadata(
      { ...base, scope: 'read' },
      {
        ...base,
        client_name: 'App 2',
        token_endpoint_auth_method: 'none',
        logo_uri: 'https://app.example/l.png',
      },
    );
    assert.deepEqual(diff.members, [
      { member: 'client_name', before: 'App', after: 'App 2' },
      { member: 'logo_uri', after: 'https://app.example/l.png' },
      { member: 'scope', before: 'read' },
      { member: 'token_endpoint_auth_method', before: 'private_key_jwt', after: 'none' },
    ]);
    assert.equal(changesKeysOrRedirects(diff), false);
  });

  it('order and duplicates of redirect URIs and keys, and member order, are no change', () => {
    const reordered = {
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [B, A, B] },
      redirect_uris: ['https://app.example/b', 'https://app.example/a', 'https://app.example/a'],
      client_name: 'App',
      client_id: 'https://app.example/client.json',
    };
    const diff = diffClientMetadata(base, reordered);
    assert.ok(isEmptyDiff(diff), JSON.stringify(diff));
    assert.equal(isEmptyDiff(diffClientMetadata(base, { ...base, client_name: 'Other' })), false);
  });

  it('names a key without an RFC 7638 member set by the digest of its JSON, marked so', () => {
    const diff = diffClientMetadata(
      { jwks: { keys: [] } },
      { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } },
    );
    assert.equal(diff.keys.added.length, 1);
    assert.equal(diff.keys.added[0]!.rfc7638, false);
    assert.match(diff.keys.added[0]!.thumbprint, /^[A-Za-z0-9_-]{43}$/);
  });
});
