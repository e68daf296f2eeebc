import type { ReplayGuard } from './replay-memory.ts';

/** What `createResourceServer` takes (resource-server.ts); its own file, so the parts it builds can read it. */
export interface ResourceServerOptions {
  /** Gatehouse's issuer URL: tokens must carry exactly this `iss`; named in the metadata. */
  issuer: string;
  /** This resource's identifier (RFC 8707, RFC 9728): tokens must have it in `aud`. */
  resource: string;
  /** Default: the `jwks_uri` of the issuer's RFC 8414 metadata, discovered once. */
  jwksUri?: string;
  /** Advertised as `scopes_supported` in the protected resource metadata. */
  scopesSupported?: readonly string[];
  /** Advertised as `resource_name`. */
  resourceName?: string;
  /**
   * DPoP (RFC 9449). DPoP-bound tokens (`cnf.jkt`) are always held to their key; `required` also
   * refuses Bearer tokens. `nonceSecret` (≥ 16 bytes, shared by every instance) turns on server
   * nonces (§9); `algorithms` narrows the proof algorithms (default ES256, ES384, EdDSA, RS256, PS256).
   */
  dpop?: {
    required?: boolean;
    nonceSecret?: string | Uint8Array;
    nonceWindowSeconds?: number;
    algorithms?: readonly string[];
  };
  /** Where DPoP proof jtis are remembered (§11.1). Default: in memory, bounded, this process only. */
  replay?: ReplayGuard;
  /** Ask the authorization server (RFC 7662) instead of verifying JWTs locally. */
  introspection?: {
    /** Default: `introspection_endpoint` from the issuer's metadata. */
    endpoint?: string;
    clientId: string;
    clientSecret: string;
    /** How long an active answer is reused (never past the token's exp). Default 30; 0 = never. */
    cacheSeconds?: number;
  };
  /** For the metadata, JWKS and introspection requests. Default: the global fetch. */
  fetch?: typeof fetch;
  /** Epoch milliseconds. Default: Date.now. */
  now?: () => number;
  /** Access token signature algorithms (RFC 9068 §4). Default ['ES256'], which Gatehouse signs with. */
  algorithms?: readonly string[];
  /** Tolerance for exp/nbf and for DPoP iat. Default 30 seconds. */
  clockSkewSeconds?: number;
  /**
   * Scope hierarchy (MCP-16): a granted scope implies these others, transitively; e.g.
   * `{ 'mcp:admin': ['mcp:tools'] }` lets an mcp:admin token through where mcp:tools is required.
   */
  scopeImplies?: Readonly<Record<string, readonly string[]>>;
  /** JWKS cache: refetched when older than maxAgeSeconds (default 600), and on an unknown kid at
   * most once per cooldownSeconds (default 30). */
  jwks?: { maxAgeSeconds?: number; cooldownSeconds?: number };
  /** Deadline for each call to the authorization server. Default 5000 ms. */
  timeoutMs?: number;
}
