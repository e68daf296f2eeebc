import { OAuthError } from '../oauth-error.ts';

/**
 * One result of a CIMD rule. `id` is the requirement it enforces (`CIMD-DOC-3`, from
 * docs/requirements.md) or, for Gatehouse's own local rules, a `GH-` id documented in docs/cimd.md.
 * `reason` is the stable internal reason an OAuthError carries for the same refusal, so logs,
 * metrics, tests and `gatehouse lint` all key on one string.
 */
export interface Finding {
  level: 'error' | 'warning';
  id: string;
  reason: string;
  message: string;
}

/** How a rule reports a finding: `fail` for an error, `warn` for a warning. */
export type Report = (id: string, reason: string, message: string) => void;

export function error(id: string, reason: string, message: string): Finding {
  return { level: 'error', id, reason, message };
}

export function warning(id: string, reason: string, message: string): Finding {
  return { level: 'warning', id, reason, message };
}

/**
 * CIMD refusals are `invalid_client` with status 400, not the 401 that invalid_client defaults to:
 * no client authentication was attempted, the client's own document is at fault (CIMD-FETCH-13,
 * the working consensus of draft issue #85). Never redirectable: the redirect_uri came from a
 * document that failed validation, so it is unverified.
 */
export function toOAuthError(finding: Finding): OAuthError {
  return new OAuthError('invalid_client', {
    status: 400,
    reason: finding.reason,
    description: finding.message,
  });
}

/** Throws the first error among `findings`, if any. */
export function throwFirstError(findings: readonly Finding[]): void {
  const first = findings.find((finding) => finding.level === 'error');
  if (first !== undefined) throw toOAuthError(first);
}
