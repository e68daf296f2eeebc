import type { AuthorizationRequestRecord } from '../store/store.ts';
import type { ValidAuthorizationRequest } from './authorization-request.ts';

/**
 * A pushed authorization request (RFC 9126) as the authorization request store keeps it: what the
 * PAR endpoint writes and the authorization endpoint claims by its `request_uri` (§4).
 */

/** RFC 9126 §2.2: the URN prefix of a `request_uri` this server hands out. */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';

/**
 * Pushed requests live in the authorization request store beside the interaction records, under
 * ids of their own namespace (interaction ids are bare base64url, never containing `:`).
 */
export const PUSHED_ID_PREFIX = 'par:';

/**
 * The marker of a pushed request not yet claimed by a browser: no binding digest and no form
 * token. The interaction pages compare the browser's binding cookie digest with this, which never
 * matches, so a pushed record cannot be driven through them; the authorization endpoint consumes
 * it and writes a fresh, browser-bound record instead (authorization-endpoint.ts).
 */
export const UNBOUND = '';

/** The record of a request just pushed: unclaimed, expiring after the PAR lifetime. */
export function pushedRecord(
  valid: ValidAuthorizationRequest,
  id: string,
  now: number,
  lifetimeSeconds: number,
): AuthorizationRequestRecord {
  return {
    ...requestFields(valid),
    id,
    browserBindingDigest: UNBOUND,
    csrfToken: UNBOUND,
    createdAt: now,
    expiresAt: now + lifetimeSeconds * 1000,
  };
}

/** The validated request as stored, without the per-record id, binding, token and times. */
export function requestFields(
  valid: ValidAuthorizationRequest,
): Omit<AuthorizationRequestRecord, 'id' | 'browserBindingDigest' | 'csrfToken' | 'createdAt' | 'expiresAt'> {
  return {
    clientId: valid.client.clientId,
    redirectUri: valid.redirectUri,
    redirectUriSent: valid.redirectUriSent,
    ...(valid.state === undefined ? {} : { state: valid.state }),
    scope: valid.scope,
    resources: valid.resources,
    codeChallenge: valid.codeChallenge,
    codeChallengeMethod: 'S256',
    ...(valid.prompt.size === 0 ? {} : { prompt: [...valid.prompt].join(' ') }),
    ...(valid.maxAge === undefined ? {} : { maxAge: valid.maxAge }),
    ...(valid.loginHint === undefined ? {} : { loginHint: valid.loginHint }),
    ...(valid.dpopJkt === undefined ? {} : { dpopJkt: valid.dpopJkt }),
  };
}
