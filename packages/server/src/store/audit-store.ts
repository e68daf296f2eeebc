/** One security decision, as it happened. Append-only. */
export interface AuditEvent {
  at: number;
  /** Dotted type, e.g. `token.issued`, `code.reused`, `login.failed`, `client.added`. */
  type: string;
  clientId?: string;
  userId?: string;
  /** Stable reason code, matching OAuthError.reason where there is one. */
  reason?: string;
  detail?: Record<string, unknown>;
}

/** Contract: `append` never loses an event it resolved for; `list` is newest first. */
export interface AuditStore {
  append(event: AuditEvent): Promise<void>;
  list(options?: {
    limit?: number;
    type?: string;
    clientId?: string;
    userId?: string;
  }): Promise<AuditEvent[]>;
}
