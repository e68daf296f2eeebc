import { randomBytes } from 'node:crypto';
import { ASYMMETRIC_JWS_ALGORITHMS, createDpopNonces, type DpopNonces } from '@gatehouse-oauth/core';
import type { DpopConfig } from '../config/dpop-schema.ts';
import type { ServerSecretStore } from '../store/store.ts';

/**
 * DPoP (RFC 9449) as configured for one server (docs/dpop.md). The nonce secret is read from the
 * store's server secrets (`dpop-nonce`, first writer wins), so every instance on one store mints
 * and accepts the same nonces (issue #6, AT-11; decision 0011 "Left to callers").
 */
export type { DpopOptions } from '../config/dpop-schema.ts';

/** Every algorithm a DPoP proof may use here: asymmetric JWS algorithms jose verifies (§4.3 step 5). */
export const DPOP_SUPPORTED_ALGORITHMS: readonly string[] = [...ASYMMETRIC_JWS_ALGORITHMS];

/** How old a proof's iat may be, and the clock skew allowed both ways (core defaults, §11.1). */
export const DPOP_PROOF_MAX_AGE_SECONDS = 300;
export const DPOP_CLOCK_SKEW_SECONDS = 30;

export interface DpopSettings {
  nonce: 'required' | 'off';
  windowSeconds: number;
  algorithms: readonly string[];
  required: boolean;
  /** Every pushed authorization request must carry a proof (DpopOptions.requiredAtPar). */
  requiredAtPar: boolean;
  /**
   * The nonce minter and checker, built once from the shared secret (undefined when nonces are
   * off). Memoised; a store failure is not remembered, so the next request tries again.
   */
  nonces(): Promise<DpopNonces | undefined>;
}

/** The name of the shared HMAC key in the server secret store. */
export const DPOP_NONCE_SECRET = 'dpop-nonce';

export function createDpopSettings(options: DpopConfig, secrets: ServerSecretStore): DpopSettings {
  const { nonce, windowSeconds } = options;
  const algorithms = [...options.algorithms];
  if (nonce !== 'required' && nonce !== 'off') throw new Error('dpop.nonce must be required or off');
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > 300) {
    throw new Error('dpop.windowSeconds must be an integer from 1 to 300');
  }
  if (algorithms.length === 0) throw new Error('dpop.algorithms must list at least one algorithm');
  for (const alg of algorithms) {
    if (!DPOP_SUPPORTED_ALGORITHMS.includes(alg)) {
      throw new Error(`dpop.algorithms: ${alg} is not an asymmetric JWS algorithm Gatehouse verifies`);
    }
  }
  let pending: Promise<DpopNonces | undefined> | undefined;
  return {
    nonce,
    windowSeconds,
    algorithms,
    required: options.required,
    requiredAtPar: options.requiredAtPar,
    nonces() {
      if (nonce === 'off') return Promise.resolve(undefined);
      pending ??= secrets
        .getOrCreate(DPOP_NONCE_SECRET, () => randomBytes(32).toString('base64url'))
        .then((secret) => createDpopNonces({ secret: Buffer.from(secret, 'base64url'), windowSeconds }))
        .catch((error: unknown) => {
          pending = undefined;
          throw error;
        });
      return pending;
    },
  };
}
