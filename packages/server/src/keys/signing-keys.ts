import { createPrivateKey, type JsonWebKey, type KeyObject, randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { SigningKeyRecord, SigningKeyStore } from '../store/store.ts';

/**
 * Signing keys live in the store (so every instance signs with the same key and publishes the same
 * JWKS), rotate by adding a newer key, and stay published after retirement long enough for every
 * token they signed to expire. ES256 (RFC 9068 §2.1 lets the AS pick; ES256 is what AT Protocol
 * and most resource servers expect).
 */
export const SIGNING_ALG = 'ES256';
/** kid of a store's first signing key (see ensureSigningKey). */
const FIRST_KEY_ID = 'gatehouse-1';
/** Retired keys stay in the JWKS this long: far longer than any access token lives. */
const RETIRED_KEY_PUBLISHED_MS = 24 * 3600 * 1000;

export async function generateSigningKey(now: number, kid: string = randomUUID()): Promise<SigningKeyRecord> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG };
  return { kid, alg: SIGNING_ALG, privateJwk, publicJwk, createdAt: now };
}

/** The current signing key, creating the first one if the store has none (first start). */
export async function ensureSigningKey(store: SigningKeyStore, now: number): Promise<SigningKeyRecord> {
  const keys = await store.list();
  const active = currentKey(keys);
  if (active !== undefined) return active;
  // The very first key has a fixed kid, so when several instances start on a new store at once,
  // exactly one `add` succeeds (the store refuses a duplicate kid) and the others adopt its key.
  const key = await generateSigningKey(now, keys.length === 0 ? FIRST_KEY_ID : undefined);
  await store.add(key);
  return currentKey(await store.list()) ?? key;
}

/** Adds a new signing key and retires the previous ones; they keep verifying until removed. */
export async function rotateSigningKey(store: SigningKeyStore, now: number): Promise<SigningKeyRecord> {
  const previous = await store.list();
  const key = await generateSigningKey(now);
  await store.add(key);
  for (const old of previous) if (old.retiredAt === undefined) await store.retire(old.kid, now);
  return key;
}

function currentKey(keys: readonly SigningKeyRecord[]): SigningKeyRecord | undefined {
  return keys.find((key) => key.retiredAt === undefined);
}

export interface SigningKey {
  kid: string;
  /** For jose. */
  key: CryptoKey;
  /**
   * The same private key for node:crypto's synchronous `sign` (access tokens, decision 0018),
   * imported once per key ring load rather than once per token.
   */
  privateKey: KeyObject;
}

export interface KeyRing {
  /** The key to sign with now. */
  signing(): Promise<SigningKey>;
  /** The public key for a kid, if it is published. */
  verification(kid: string): Promise<CryptoKey | undefined>;
  /** RFC 7517 JWK Set of every published key. */
  jwks(): Promise<{ keys: JWK[] }>;
}

/**
 * Reads keys from the store and keeps them for `refreshMs`, so a rotation made by `gatehouse keys
 * rotate` (or another instance) is picked up without a restart, and no request waits on the store.
 */
export function createKeyRing(store: SigningKeyStore, clock: () => number, refreshMs = 60_000): KeyRing {
  interface Loaded {
    at: number;
    signing: SigningKey;
    published: Map<string, { jwk: JWK; key: CryptoKey }>;
  }
  let loaded: Promise<Loaded> | undefined;
  let loadedAt = Number.NEGATIVE_INFINITY;

  async function load(): Promise<Loaded> {
    const now = clock();
    const active = await ensureSigningKey(store, now);
    const published = new Map<string, { jwk: JWK; key: CryptoKey }>();
    for (const record of await store.list()) {
      if (record.retiredAt !== undefined && record.retiredAt + RETIRED_KEY_PUBLISHED_MS < now) continue;
      published.set(record.kid, {
        jwk: record.publicJwk,
        key: (await importJWK(record.publicJwk, SIGNING_ALG)) as CryptoKey,
      });
    }
    const key = (await importJWK(active.privateJwk, SIGNING_ALG)) as CryptoKey;
    const privateKey = createPrivateKey({ key: active.privateJwk as JsonWebKey, format: 'jwk' });
    return { at: now, signing: { kid: active.kid, key, privateKey }, published };
  }

  function current(): Promise<Loaded> {
    const now = clock();
    if (loaded === undefined || now - loadedAt > refreshMs) {
      loadedAt = now;
      const next = load();
      // A failed load must not stick: the next call tries again.
      next.catch(() => {
        if (loaded === next) loaded = undefined;
      });
      loaded = next;
    }
    return loaded;
  }

  return {
    async signing() {
      return (await current()).signing;
    },
    async verification(kid) {
      return (await current()).published.get(kid)?.key;
    },
    async jwks() {
      return { keys: [...(await current()).published.values()].map((entry) => entry.jwk) };
    },
  };
}
