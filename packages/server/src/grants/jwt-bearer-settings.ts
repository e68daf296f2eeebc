import type {
  IdentityProviderOptions,
  WorkloadIssuerOptions,
  WorkloadRule,
} from '../config/jwt-bearer-schema.ts';
import { inlineKeys, type TrustedIssuer } from './jwt-bearer-assertion.ts';

/**
 * The issuers the jwt-bearer grant trusts, resolved once at start-up from `enterprise` and
 * `workloadIdentity` (config/jwt-bearer-schema.ts): inline key sets parsed, discovery wired to the
 * hardened fetcher. An issuer configured twice stops the start (which one to trust would be a guess).
 */
export interface IdentityProvider {
  trusted: TrustedIssuer;
  accounts: 'existing' | 'provision';
  linkByEmail: boolean;
}

export interface WorkloadIssuer {
  trusted: TrustedIssuer;
  rules: readonly WorkloadRule[];
}

export interface JwtBearerSettings {
  identityProviders: ReadonlyMap<string, IdentityProvider>;
  workloadIssuers: ReadonlyMap<string, WorkloadIssuer>;
  /** Whether the grant is accepted and advertised: at least one issuer is configured. */
  enabled: boolean;
}

/** Fetches JSON through the hardened fetcher (the server's `fetchJwks`). */
export type JsonFetcher = (uri: string) => Promise<unknown>;

/** How long a discovered jwks_uri is used before the discovery document is read again. */
const DISCOVERY_TTL_MS = 60 * 60_000;

export function createJwtBearerSettings(
  options: {
    issuer: string;
    enterprise: { identityProviders: readonly IdentityProviderOptions[] };
    workloadIdentity: { issuers: readonly WorkloadIssuerOptions[] };
  },
  fetchJson: JsonFetcher | undefined,
  clock: () => number,
): JwtBearerSettings {
  const identityProviders = new Map<string, IdentityProvider>();
  const workloadIssuers = new Map<string, WorkloadIssuer>();
  const taken = (issuer: string) => {
    if (identityProviders.has(issuer) || workloadIssuers.has(issuer))
      throw new Error(`jwt-bearer issuer ${issuer} is configured twice`);
  };
  for (const idp of options.enterprise.identityProviders) {
    taken(idp.issuer);
    identityProviders.set(idp.issuer, {
      trusted: trustedIssuer(idp, options.issuer, fetchJson, clock),
      accounts: idp.accounts,
      linkByEmail: idp.linkByEmail,
    });
  }
  for (const workload of options.workloadIdentity.issuers) {
    taken(workload.issuer);
    workloadIssuers.set(workload.issuer, {
      trusted: trustedIssuer(workload, workload.audience ?? options.issuer, fetchJson, clock),
      rules: workload.rules,
    });
  }
  return {
    identityProviders,
    workloadIssuers,
    enabled: identityProviders.size + workloadIssuers.size > 0,
  };
}

function trustedIssuer(
  options: {
    issuer: string;
    jwksUri?: string | undefined;
    jwks?: unknown;
    discovery?: boolean;
    maxLifetimeSeconds: number;
  },
  audience: string,
  fetchJson: JsonFetcher | undefined,
  clock: () => number,
): TrustedIssuer {
  const common = { issuer: options.issuer, audience, maxLifetimeSeconds: options.maxLifetimeSeconds };
  if (options.jwks !== undefined)
    return { ...common, keys: { jwks: inlineKeys(options.jwks, options.issuer) } };
  if (options.jwksUri !== undefined) {
    const uri = options.jwksUri;
    return { ...common, keys: { jwksUri: async () => uri } };
  }
  return { ...common, keys: { jwksUri: discoveredJwksUri(options.issuer, fetchJson, clock) } };
}

/**
 * OpenID Connect Discovery 1.0 §4: the issuer's `jwks_uri` from `<issuer>/.well-known/openid-configuration`,
 * whose `issuer` must be the configured one (§4.3). Read through the hardened fetcher, remembered
 * for an hour; a failure is not remembered.
 */
function discoveredJwksUri(
  issuer: string,
  fetchJson: JsonFetcher | undefined,
  clock: () => number,
): () => Promise<string> {
  let known: { uri: string; at: number } | undefined;
  return async () => {
    const now = clock();
    if (known !== undefined && now - known.at < DISCOVERY_TTL_MS) return known.uri;
    if (fetchJson === undefined) throw new Error('no fetcher for OpenID discovery');
    const document = (await fetchJson(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)) as {
      issuer?: unknown;
      jwks_uri?: unknown;
    };
    if (
      document?.issuer !== issuer ||
      typeof document.jwks_uri !== 'string' ||
      !document.jwks_uri.startsWith('https://')
    )
      throw new Error(`the discovery document of ${issuer} does not name it and an https jwks_uri`);
    known = { uri: document.jwks_uri, at: now };
    return known.uri;
  };
}
