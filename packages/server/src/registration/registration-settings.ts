import type { RegistrationConfig } from '../config/registration-schema.ts';
import type { RateLimitOptions, SoftwareStatementIssuer } from '../options.ts';
import { createRateLimiter } from '../rate-limit/rate-limiter.ts';
import { createRefusalLog, type RefusalLog } from '../rate-limit/refusal-log.ts';
import type { Limit } from './rate-limit-refusal.ts';

/**
 * The registration options (options.ts) resolved once at start-up, with their defaults, and the
 * rate limiters they describe. Misconfiguration fails the start, never a request: a
 * software_statement policy without trusted issuers, or an issuer key that is symmetric or private.
 */
export interface RegistrationSettings {
  policy: 'open' | 'initial_access_token' | 'software_statement';
  /** Trusted statement issuers by exact `iss`. */
  issuers: ReadonlyMap<string, SoftwareStatementIssuer>;
  secretLifetimeSeconds: number;
  recogniseReRegistration: boolean;
  rotateRegistrationAccessToken: 'never' | 'on_read' | 'on_update';
  /** Development only: loopback http and loopback literals in URI members (docs/dcr.md). */
  devLoopbackUris: boolean;
  limits: {
    /** Keyed `ip:<sourceKey>`: an IPv4 address or an IPv6 /64 (source-key.ts). */
    perIp: Limit;
    /** One key for every registration, whatever its source. */
    global: Limit;
    perSoftware: Limit;
    perRedirectHost: Limit;
    /**
     * Keyed `ip:<sourceKey>` and `client_source:<id> <sourceKey>` (`client:<id>` without an
     * address); only failed attempts are counted.
     */
    managementFailures: Limit;
  };
  /** Which limiter keys were refused in their current window: one audit event per key and window. */
  refusals: RefusalLog;
}

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

export function resolveRegistrationSettings(options: RegistrationConfig): RegistrationSettings {
  const { policy } = options;
  const issuers = new Map<string, SoftwareStatementIssuer>();
  for (const issuer of options.softwareStatementIssuers) {
    if (issuer.iss === '') throw new Error('a software statement issuer needs a non-empty iss');
    if (issuers.has(issuer.iss))
      throw new Error(`software statement issuer ${issuer.iss} is configured twice`);
    if (issuer.jwks.keys.length === 0) throw new Error(`software statement issuer ${issuer.iss} has no keys`);
    for (const key of issuer.jwks.keys) {
      // Asymmetric public keys only: an HMAC key would have to be shared with the statement's holder.
      if (key.kty !== 'EC' && key.kty !== 'RSA' && key.kty !== 'OKP') {
        throw new Error(`software statement issuer ${issuer.iss}: keys must be EC, RSA or OKP public keys`);
      }
      if (PRIVATE_JWK_MEMBERS.some((member) => member in key)) {
        throw new Error(`software statement issuer ${issuer.iss}: a key carries private key material`);
      }
    }
    issuers.set(issuer.iss, issuer);
  }
  if (policy === 'software_statement' && issuers.size === 0) {
    throw new Error(
      'registration policy software_statement needs at least one softwareStatementIssuers entry',
    );
  }
  const { secretLifetimeSeconds } = options;
  if (!Number.isFinite(secretLifetimeSeconds) || secretLifetimeSeconds < 0) {
    throw new Error('registration secretLifetimeSeconds must be 0 (never expires) or positive');
  }
  const limits = options.rateLimits;
  return {
    policy,
    issuers,
    secretLifetimeSeconds,
    recogniseReRegistration: options.recogniseReRegistration,
    rotateRegistrationAccessToken: options.rotateRegistrationAccessToken,
    devLoopbackUris: options.devLoopbackUris,
    limits: {
      perIp: limit(limits.perIp),
      global: limit(limits.global),
      perSoftware: limit(limits.perSoftware),
      perRedirectHost: limit(limits.perRedirectHost),
      managementFailures: limit(limits.managementFailures),
    },
    refusals: createRefusalLog(),
  };
}

function limit(options: RateLimitOptions): Limit {
  return { limiter: createRateLimiter(options), windowSeconds: options.windowSeconds };
}
