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
