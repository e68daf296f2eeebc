/**
 * A validated authorization request waiting for login and consent (and, later, a PAR request_uri).
 * It is written only after every check of the authorization endpoint passed, so the pages that
 * follow never re-read client input.
 */
export interface AuthorizationRequestRecord {
  /** Random, unguessable; appears in the interaction URL. */
  id: string;
  clientId: string;
  /** The redirect_uri exactly as the client sent it (verified against the registered ones). */
  redirectUri: string;
  /** Whether the client sent redirect_uri (RFC 6749 §4.1.3: then the token request must repeat it). */
  redirectUriSent: boolean;
  state?: string;
  scope: string[];
  resources: string[];
  codeChallenge: string;
  codeChallengeMethod: 'S256';
  prompt?: string;
  maxAge?: number;
  loginHint?: string;
  /**
   * RFC 9449 §10: the thumbprint of the DPoP key the code will be bound to (`dpop_jkt`, or the key
   * of the proof sent to PAR).
   */
  dpopJkt?: string;
  /** Digest of the browser-binding cookie set by the authorization endpoint (login CSRF defence). */
  browserBindingDigest: string;
  /** Form token that must come back with every login/consent POST for this request. */
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * Contract: `consume` returns the record and removes it atomically: of any number of concurrent
 * calls for one id, exactly one gets the record. Expired records (expiresAt <= now) are never
 * returned by `get` or `consume`. `deleteByClient` removes every record of a client, pending
 * interactions and pushed requests alike, and returns how many it removed.
 */
export interface AuthorizationRequestStore {
  create(request: AuthorizationRequestRecord): Promise<void>;
  get(id: string, now: number): Promise<AuthorizationRequestRecord | undefined>;
  consume(id: string, now: number): Promise<AuthorizationRequestRecord | undefined>;
  deleteByClient(clientId: string): Promise<number>;
}
