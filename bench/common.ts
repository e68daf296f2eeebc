/** What the two servers are configured with alike, and what the orchestrator hands the children. */

/** The one protected resource: tokens are ES256 JWTs with this audience (RFC 8707, RFC 9068). */
export const RESOURCE = 'https://mcp.bench.test/mcp';
export const SCOPE = 'mcp:tools';

/** The user every session logs in as. */
export const USERNAME = 'bench';
export const PASSWORD = 'bench-password-123';

/** A pre-registered confidential client (client_secret_basic) on both servers. */
export const STATIC_CLIENT = {
  clientId: 'bench-static',
  secret: 'bench-static-secret-0123456789abcdefghijkl',
  redirectUri: 'https://static.bench.test/callback',
};

/** Hosts of the CIMD flood: distinct, unknown client_ids spread over these names. */
export const FLOOD_HOSTS = Array.from({ length: 100 }, (_, index) => `f${index}.flood.test`);

/** Names the document host's certificate covers and both servers resolve to 127.0.0.1. */
export const DOCUMENT_HOSTS = ['client.bench.test', 'stampede.bench.test', ...FLOOD_HOSTS];

/** Environment the orchestrator passes to each server child. */
export interface ChildEnvironment {
  /** PEM file of the bench CA, trusted by the servers' outbound fetch. */
  BENCH_CA_FILE: string;
  /** A fresh directory for this server's data. */
  BENCH_DATA_DIR: string;
}
