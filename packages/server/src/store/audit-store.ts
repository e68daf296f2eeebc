/** One security decision, as it happened. Append-only. */
export interface AuditEvent {
  at: number;
  /** Dotted type, e.g. `token.issued`, `code.reused`, `login.failed`, `client.added`. */
  type: string;
  clientId?: string;
  userId?: string;
  /** Stable reason code, matching OAuthError.reason where there is one. */
  reason?: string;
  /**
   * Who caused it: `cli:<os user>`, `client:<client_id>` (an RFC 7592 call), `system:<job>` (the
   * reaper, the document change policy, the key re-check), later `admin-token:<id>` and
   * `console:<user>`. Absent for decisions made on a client's or user's request (token issued,
   * login failed): the clientId and userId say who asked.
   */
  actor?: string;
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
    actor?: string;
  }): Promise<AuditEvent[]>;
}
