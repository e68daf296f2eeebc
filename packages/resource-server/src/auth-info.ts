import type { OAuthError } from '@gatehouse-oauth/core';

/* What a resource server's `authenticate` and `checkScopes` answer, and what they are asked. */

/** Shaped like the MCP SDK's `AuthInfo`, so it can be handed to the SDK's transports as `req.auth`. */
export type AuthInfo = {
  /** The access token as presented. */
  token: string;
  clientId: string;
  /** The scopes granted in the token (not expanded by `scopeImplies`). */
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt: number;
  /** This resource (RFC 8707), which the token's audience contains. */
  resource: URL;
  extra: AuthInfoExtra;
};

export type AuthInfoExtra = {
  /** The end user (or the client itself, for client credentials). */
  sub: string;
  /** The DPoP key thumbprint the token is bound to and the request was proven with. */
  jkt?: string;
  /** Every claim of the JWT, or every member of the introspection answer. */
  claims: Record<string, unknown>;
};

export type AuthenticateResult =
  | {
      ok: true;
      auth: AuthInfo;
      /** Headers to add to the successful response (a fresh `DPoP-Nonce`, RFC 9449 §8.2). */
      headers: Record<string, string>;
    }
  | { ok: false; response: Response; error: OAuthError };

/** What `checkScopes` answers: go on, or the 403 `insufficient_scope` refusal to send as it is. */
export type CheckScopesResult = { ok: true } | { ok: false; response: Response; error: OAuthError };

export interface AuthenticateOptions {
  /** Scopes this request needs; all of them (after `scopeImplies`), or 403 insufficient_scope. */
  scopes?: readonly string[];
}
