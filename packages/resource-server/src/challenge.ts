import type { OAuthError } from '@gatehouse-oauth/core';
import type { TokenScheme } from './authorization-header.ts';

/**
 * `WWW-Authenticate` challenges at a resource server: RFC 6750 §3 (Bearer), RFC 9449 §7.1 (DPoP,
 * with `algs`), RFC 9728 §5.1 (`resource_metadata`, MCP-19) and the MCP scope challenge (MCP-16).
 *
 * Every value that goes in here is ours (error codes, fixed descriptions, scope tokens, our own
 * metadata URL), and none of them can hold `"` or `\`: scope tokens exclude both (RFC 6749 §3.3),
 * descriptions are restricted by `asciiDescription`, and a serialised URL percent-encodes `"`.
 */
export interface ChallengeParameters {
  error?: string;
  errorDescription?: string;
  scope?: readonly string[];
  resourceMetadata: string;
  /** DPoP only: the proof algorithms accepted (RFC 9449 §7.1). */
  algs?: readonly string[];
}

export function challenge(scheme: TokenScheme, parameters: ChallengeParameters): string {
  const parts: string[] = [];
  if (parameters.error !== undefined) parts.push(`error="${parameters.error}"`);
  if (parameters.errorDescription !== undefined) {
    parts.push(`error_description="${parameters.errorDescription}"`);
  }
  if (parameters.scope !== undefined && parameters.scope.length > 0) {
    parts.push(`scope="${parameters.scope.join(' ')}"`);
  }
  parts.push(`resource_metadata="${parameters.resourceMetadata}"`);
  if (scheme === 'DPoP' && parameters.algs !== undefined && parameters.algs.length > 0) {
    parts.push(`algs="${parameters.algs.join(' ')}"`);
  }
  return `${scheme} ${parts.join(', ')}`;
}

/** Why a request is refused and how to challenge it; `Refused` carries it out of the checks. */
export interface Refusal {
  error: OAuthError;
  /** The challenges to send, in order. Bearer first where it appears: MCP clients read only the first. */
  schemes: readonly TokenScheme[];
  /** RFC 6750 §3.1: no error code when the request carried no credentials. */
  withError: boolean;
  scope?: readonly string[];
  headers?: Record<string, string>;
}

export class Refused extends Error {
  readonly refusal: Refusal;
  constructor(refusal: Refusal) {
    super(refusal.error.message);
    this.refusal = refusal;
  }
}

/**
 * The complete refusal: status by error code, the challenges in order (each naming the RFC 9728
 * metadata), `no-store`, and the error as JSON unless the request carried no credentials.
 */
export function refusalResponse(
  refusal: Refusal,
  metadataUrl: string,
  dpopAlgorithms: readonly string[],
): Response {
  const { error } = refusal;
  const status = error.error === 'invalid_request' ? 400 : error.error === 'insufficient_scope' ? 403 : 401; // invalid_token, invalid_dpop_proof, use_dpop_nonce (RFC 9449 §7.1, §9)
  const challenges = refusal.schemes.map((scheme) =>
    challenge(scheme, {
      ...(refusal.withError ? { error: error.error } : {}),
      ...(refusal.withError && error.description !== undefined
        ? { errorDescription: error.description }
        : {}),
      ...(refusal.scope === undefined ? {} : { scope: refusal.scope }),
      resourceMetadata: metadataUrl,
      algs: dpopAlgorithms,
    }),
  );
  const headers: Record<string, string> = {
    'www-authenticate': challenges.join(', '),
    'cache-control': 'no-store',
    ...refusal.headers,
  };
  if (!refusal.withError) return new Response(null, { status, headers });
  headers['content-type'] = 'application/json';
  return new Response(JSON.stringify(error.toJSON()), { status, headers });
}
