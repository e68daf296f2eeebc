/**
 * The one error type of Gatehouse. RFC 6749 §5.2 (token endpoint), §4.1.2.1 (authorization
 * endpoint), RFC 6750 §3.1 (resource access), RFC 7591 §3.2.2 (registration).
 *
 * Every refusal carries four things: the OAuth `error` code the client sees, the HTTP status,
 * whether it may be sent to the client's redirect_uri (only once that redirect_uri is verified), and
 * a stable internal `reason` that logs, metrics and tests key on without parsing prose.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'unsupported_token_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'invalid_software_statement'
  | 'unapproved_software_statement'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';

export interface OAuthErrorInit {
  /** HTTP status; defaults from the code (400, or 401 for invalid_client / invalid_token). */
  status?: number;
  /** True only for errors the authorization endpoint may deliver to a verified redirect_uri. */
  redirectable?: boolean;
  /** Stable, machine-readable reason, e.g. `pkce_mismatch`. Never shown as prose to users. */
  reason: string;
  /** ASCII text for the developer of the client (RFC 6749 §5.2 error_description). */
  description?: string;
  /** Extra response headers, e.g. WWW-Authenticate for invalid_client with HTTP Basic. */
  headers?: Record<string, string>;
}

const defaultStatus: Partial<Record<OAuthErrorCode, number>> = {
  invalid_client: 401,
  invalid_token: 401,
  insufficient_scope: 403,
  server_error: 500,
  temporarily_unavailable: 503,
};

export class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  readonly status: number;
  readonly redirectable: boolean;
  readonly reason: string;
  readonly description: string | undefined;
  readonly headers: Record<string, string>;

  constructor(error: OAuthErrorCode, init: OAuthErrorInit) {
    // A refusal is an answer, not a fault: its stack is never logged or shown, and capturing one
    // was a tenth of the CPU of refusing a blocked client (issue #13 bench; issue #18 finding 10).
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(init.description ?? error);
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    this.name = 'OAuthError';
    this.error = error;
    this.status = init.status ?? defaultStatus[error] ?? 400;
    this.redirectable = init.redirectable ?? false;
    this.reason = init.reason;
    this.description = init.description === undefined ? undefined : asciiDescription(init.description);
    this.headers = init.headers ?? {};
  }

  /** The RFC 6749 §5.2 JSON body. */
  toJSON(): { error: OAuthErrorCode; error_description?: string } {
    return this.description === undefined
      ? { error: this.error }
      : { error: this.error, error_description: this.description };
  }

  /** The same error, now allowed to travel to a redirect_uri that has been verified. */
  redirecting(): OAuthError {
    return new OAuthError(this.error, {
      status: this.status,
      redirectable: true,
      reason: this.reason,
      ...(this.description === undefined ? {} : { description: this.description }),
    });
  }
}

/**
 * RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E (printable ASCII
 * without `"` and `\`). Anything else is replaced so a description can never break a header or
 * smuggle markup.
 */
export function asciiDescription(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '?').slice(0, 500);
}

export function isOAuthError(value: unknown): value is OAuthError {
  return value instanceof OAuthError;
}
