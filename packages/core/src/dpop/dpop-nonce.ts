import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';

/**
 * Stateless DPoP server nonces (RFC 9449 §8 at the AS, §9 at the RS; AT-11; decision 0011 "Nonces
 * are stateless").
 *
 * A nonce is base64url(counter ‖ MAC) where counter = floor(now / window) as 8 bytes big-endian and
 * MAC = the first 16 bytes of HMAC-SHA256(secret, label ‖ window length ‖ counter). Nothing is
 * stored: any instance holding the same secret recomputes the MAC, so every instance accepts every
 * instance's nonce behind a load balancer with no shared state and no per-nonce write. The nonce is
 * opaque to clients (§8.1), 32 characters, all of them NQCHAR.
 *
 * Why it is enough: a nonce only has to prove the proof was made recently, after the server spoke
 * (§11.2, pre-generated proofs). A MAC over the time window proves exactly that. Replay of a whole
 * proof inside the window is the jti check's job (replay store), not the nonce's.
 *
 * The secret comes from `serverSecrets.getOrCreate('dpop-nonce', …)` so all instances share it.
 */

export type DpopNonceVerdict = 'valid' | 'stale' | 'invalid';

export interface DpopNonceOptions {
  /** The shared HMAC key; at least 16 bytes (a string is taken as UTF-8). */
  secret: Uint8Array | string;
  /** Window length: a new nonce every this many seconds. 1–300 (AT-11: rotate at least every 5 min). */
  windowSeconds?: number;
  /** How many windows before the current one are still valid (AT-11: recently stale ones SHOULD be). */
  acceptPrevious?: number;
}

export interface DpopNonces {
  /** The nonce for the window containing `now` (epoch ms): send it as `DPoP-Nonce`. */
  current(now: number): string;
  /**
   * 'valid': ours, from the current window, one of the `acceptPrevious` before it, or the next one
   * (another instance whose clock is slightly ahead). 'stale': ours, but older than that; answer
   * `use_dpop_nonce` with a fresh one. 'invalid': not made with this secret and window length.
   */
  check(nonce: string, now: number): DpopNonceVerdict;
  /** The `nonce` rule for verifyDpopProof at time `now`: a missing nonce is refused (nonce_required). */
  predicate(now: number): (nonce: string | undefined) => boolean | 'stale';
}

// Domain separation: the same server secret used elsewhere by mistake cannot yield a valid nonce.
const LABEL = 'gatehouse dpop-nonce v1';
const COUNTER_BYTES = 8;
// 128 bits of MAC: forging one by guessing is out of reach; longer would only lengthen headers.
const MAC_BYTES = 16;
const NONCE = /^[A-Za-z0-9_-]{32}$/;

export function createDpopNonces(options: DpopNonceOptions): DpopNonces {
  const windowSeconds = options.windowSeconds ?? 60;
  const acceptPrevious = options.acceptPrevious ?? 2;
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > 300) {
    throw new TypeError('DPoP nonce windowSeconds must be an integer from 1 to 300');
  }
  if (!Number.isInteger(acceptPrevious) || acceptPrevious < 0) {
    throw new TypeError('DPoP nonce acceptPrevious must be a non-negative integer');
  }
  const secret = typeof options.secret === 'string' ? Buffer.from(options.secret, 'utf8') : options.secret;
  if (secret.byteLength < 16) throw new TypeError('DPoP nonce secret must be at least 16 bytes');
  const windowMs = windowSeconds * 1000;
  // A KeyObject, made once: `createHmac` given the raw bytes asks Node whether they are a KeyObject
  // and then a CryptoKey, each answered by a native exception caught inside Node, which cost more
  // than the HMAC itself (docs/benchmarks.md, "refresh with DPoP, second pass").
  const key = createSecretKey(secret);

  const counterAt = (now: number): number => {
    if (!Number.isFinite(now) || now < 0) throw new TypeError('now must be epoch milliseconds');
    return Math.floor(now / windowMs);
  };

  const computeMac = (counter: Buffer): Buffer =>
    createHmac('sha256', key)
      .update(LABEL)
      .update(`:${windowSeconds}:`)
      .update(counter)
      .digest()
      .subarray(0, MAC_BYTES);

  // The MACs of the last few windows seen, so a request does not recompute the same HMAC: the
  // nonce of a window is the same for all of it. Only counters a valid nonce can carry (current,
  // accepted previous, one ahead) get in, so the map stays at a handful of entries whatever is sent.
  // A plain Map, not lru-cache (decision 0023): the keys are bounded by construction, eviction is
  // first in first out, and a Map lookup measured about 4x cheaper than lru-cache's on this hot path.
  const recentMacs = new Map<string, Buffer>();
  const mac = (counter: Buffer, cacheable: boolean): Buffer => {
    if (!cacheable) return computeMac(counter);
    const id = counter.toString('hex');
    let value = recentMacs.get(id);
    if (value === undefined) {
      value = computeMac(counter);
      recentMacs.set(id, value);
      if (recentMacs.size > acceptPrevious + 3) {
        const oldest = recentMacs.keys().next();
        if (oldest.done !== true) recentMacs.delete(oldest.value);
      }
    }
    return value;
  };

  const encodeCounter = (counter: number): Buffer => {
    const bytes = Buffer.alloc(COUNTER_BYTES);
    bytes.writeBigUInt64BE(BigInt(counter));
    return bytes;
  };

  const check = (nonce: string, now: number): DpopNonceVerdict => {
    const current = counterAt(now);
    if (typeof nonce !== 'string' || !NONCE.test(nonce)) return 'invalid';
    const bytes = Buffer.from(nonce, 'base64url');
    if (bytes.length !== COUNTER_BYTES + MAC_BYTES) return 'invalid';
    const counterBytes = bytes.subarray(0, COUNTER_BYTES);
    const age = current - Number(counterBytes.readBigUInt64BE());
    // Constant time: the comparison must not reveal how many leading MAC bytes a forgery got right.
    const expected = mac(counterBytes, age >= -1 && age <= acceptPrevious);
    if (!timingSafeEqual(bytes.subarray(COUNTER_BYTES), expected)) return 'invalid';
    // One window ahead is an instance whose clock runs slightly fast; more is not a clock we run.
    if (age < -1) return 'invalid';
    return age <= acceptPrevious ? 'valid' : 'stale';
  };

  let currentCounter = -1;
  let currentNonce = '';
  return {
    current(now) {
      const counter = counterAt(now);
      if (counter !== currentCounter) {
        const bytes = encodeCounter(counter);
        currentNonce = Buffer.concat([bytes, mac(bytes, true)]).toString('base64url');
        currentCounter = counter;
      }
      return currentNonce;
    },
    check,
    predicate(now) {
      return (nonce) => {
        if (nonce === undefined) return false;
        const verdict = check(nonce, now);
        return verdict === 'valid' ? true : verdict === 'stale' ? 'stale' : false;
      };
    },
  };
}
