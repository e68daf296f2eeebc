import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';
import { Agent, fetch as undiciFetch } from 'undici';
import { testLookup } from '../../test/support/test-hosts.ts';
import { RESOURCE, SCOPE, STATIC_CLIENT } from '../common.ts';
import { serveChild } from '../lib/child.ts';

/**
 * The peer: panva's oidc-provider (9.x), configured with the features the bench measures on
 * Gatehouse, in a child process of its own, plain http on 127.0.0.1, in-memory storage (its
 * bundled MemoryAdapter).
 *
 * - Client ID Metadata Documents: `features.clientIdMetadataDocument` (experimental, acknowledged
 *   as draft-02), the cache clamped to the same [300 s, 24 h] as Gatehouse's default.
 * - PAR (`pushedAuthorizationRequests`), DPoP (`dPoP`, proofs per request; nonces when
 *   BENCH_DPOP_NONCE=1, as Gatehouse's), PKCE S256 required for every client.
 * - Resource indicators: every token is an ES256 JWT access token for the one resource.
 * - Refresh tokens: issued to any client registered for refresh_token, and rotated on every use,
 *   as Gatehouse does (oidc-provider's default keeps a DPoP-bound public client's token).
 * - Login and consent: its development interactions (a form that takes any login), driven once per
 *   session by the bench's browser; afterwards the session and the grant answer by themselves.
 * - Outbound fetch: the `fetch` hook, with an undici Agent that trusts the bench CA and resolves the
 *   bench's `.test` names to 127.0.0.1: the same reach Gatehouse gets from its development switches.
 *   (Its own SSRF guard would otherwise refuse loopback, as Gatehouse's does.)
 */

export async function createPeer(issuer: string, caPem: string): Promise<Provider> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'bench-es256', alg: 'ES256', use: 'sig' };
  // Trust as Gatehouse is told to: the CA alone (`ca_file`), or the system store with the bench CA
  // added through NODE_EXTRA_CA_CERTS (the default).
  const dispatcher = new Agent({
    connect: {
      ...(process.env.BENCH_TRUST === 'ca_file' ? { ca: caPem } : {}),
      lookup: testLookup as never,
    },
  });
  const requireNonce = process.env.BENCH_DPOP_NONCE === '1';
  const resourceServer = {
    scope: SCOPE,
    audience: RESOURCE,
    accessTokenTTL: 300,
    accessTokenFormat: 'jwt' as const,
    jwt: { sign: { alg: 'ES256' as const } },
  };
  return new Provider(issuer, {
    clients: [
      {
        client_id: STATIC_CLIENT.clientId,
        client_secret: STATIC_CLIENT.secret,
        client_name: 'Bench static client',
        redirect_uris: [STATIC_CLIENT.redirectUri],
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    clientDefaults: {
      grant_types: ['authorization_code'],
      id_token_signed_response_alg: 'ES256',
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    },
    jwks: { keys: [signingKey] },
    cookies: { keys: ['bench-cookie-key-0123456789abcdefghij'] },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    scopes: ['openid', 'offline_access', SCOPE],
    features: {
      devInteractions: { enabled: true },
      clientIdMetadataDocument: {
        enabled: true,
        ack: 'draft-02',
        cacheDuration: { min: 300, max: 86_400 },
      },
      pushedAuthorizationRequests: { enabled: true },
      dPoP: {
        enabled: true,
        ...(requireNonce
          ? { nonceSecret: Buffer.alloc(32, 7), requireNonce: () => true }
          : { requireNonce: () => false }),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (indicator !== RESOURCE) throw new errors.InvalidTarget();
          return resourceServer;
        },
      },
      revocation: { enabled: true },
    },
    pkce: { required: () => true },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: 300,
      AuthorizationCode: 60,
      RefreshToken: 14 * 24 * 3600,
      Grant: 90 * 24 * 3600,
      Session: 8 * 3600,
      Interaction: 600,
      IdToken: 300,
    },
    fetch: (url, options) =>
      undiciFetch(
        url as string,
        { ...(options as object), dispatcher } as never,
      ) as unknown as Promise<Response>,
  });
}

if (import.meta.main) {
  // The port must be known before the issuer is; take one, then build the provider for it.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://localhost:${port}`;
  const { readFileSync } = await import('node:fs');
  const provider = await createPeer(issuer, readFileSync(process.env.BENCH_CA_FILE!, 'utf8'));
  server.on('request', provider.callback());
  server.keepAliveTimeout = 60_000;
  process.once('SIGTERM', () => process.exit(0));
  serveChild({ port, issuer });
}
