/**
 * Client ID Metadata Documents end to end (draft-ietf-oauth-client-id-metadata-document-02): the
 * client_id is an https URL on a `.test` host served over TLS on loopback; Gatehouse fetches it
 * through its hardened fetcher (development switches on, as `serve --dev-loopback-fetch` would),
 * validates and caches it. Real clients complete the flow with it: oauth4webapi, the MCP SDK v1
 * (`@modelcontextprotocol/sdk`, clientMetadataUrl) and v2 (`@modelcontextprotocol/client`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth as authV2 } from '@modelcontextprotocol/client';
import { auth as authV1 } from '@modelcontextprotocol/sdk/client/auth.js';
import { exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import { authorizeInBrowser } from '../support/authorize-in-browser.ts';
import { discover } from '../support/discover.ts';
import type { TestDeployment } from '../support/gatehouse-over-tls.ts';
import { InMemoryClientProvider } from '../support/mcp-client-provider.ts';
import {
  authorizationUrl,
  LOGIN,
  type McpDeployment,
  runMcpAuth,
  startMcpDeployment,
} from '../support/mcp-stand-in.ts';
import { type ClientOptions, clientOptions, redeemCode, refreshTokens } from '../support/oauth-client.ts';
import type { TestHost } from '../support/test-hosts.ts';
import { isPage, UserAgent } from '../support/user-agent.ts';

describe('Client ID Metadata Documents end to end', () => {
  let mcp: McpDeployment;
  let host: TestHost;
  let deployment: TestDeployment;
  let mcpResource: string;
  let options: ClientOptions;

  /** A CIMD for `path` on client.test, with the given redirect URIs. */
  function publish(path: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    const clientId = `${host.origin('client.test')}${path}`;
    host.json(
      path,
      {
        client_id: clientId,
        client_name: 'E2E CIMD client',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        ...extra,
      },
      headers,
    );
    return clientId;
  }

  before(async () => {
    mcp = await startMcpDeployment(
      {
        // The re-fetch test adds a redirect URI right after the first fetch, and one test host plays
        // many clients; the cooldown and the governor have their own tests.
        cimd: { refresh_cooldown_seconds: 0, fetches_per_second_per_host: 100 },
      },
      ['client.test', 'mcp.test'],
    );
    ({ host, deployment, mcpResource } = mcp);
    options = clientOptions(deployment);
  });

  after(() => mcp.close());

  it('advertises client_id_metadata_document_supported (CIMD-ASM-1)', async () => {
    const as = await discover(deployment);
    assert.equal(as.client_id_metadata_document_supported, true);
  });

  it('oauth4webapi completes the flow with a CIMD client_id, and the document is recorded', async () => {
    const clientId = publish('/oauth4webapi.json');
    const as = await discover(deployment);
    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
    const redirectUri = 'http://127.0.0.1:53682/callback';
    const verifier = oauth.generateRandomCodeVerifier();
    const url = authorizationUrl(as.authorization_endpoint!, {
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      resource: mcpResource,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const ua = new UserAgent(deployment.fetch);
    const consentPage = await ua.navigate(url.href, (l) => !l.startsWith(`${deployment.issuer}/`));
    assert.ok(isPage(consentPage));
    const callback = await authorizeInBrowser(ua, url, deployment.issuer, LOGIN);
    const parameters = oauth.validateAuthResponse(as, client, callback, oauth.expectNoState);
    const tokens = await redeemCode(as, client, oauth.None(), parameters, redirectUri, verifier, {
      ...options,
      additionalParameters: { resource: mcpResource },
    });
    assert.ok(tokens.refresh_token);
    const store = deployment.gatehouse.store;
    assert.equal((await store.clients.get(clientId))?.kind, 'cimd');
    assert.equal((await store.clientDocuments.history(clientId)).length, 1);
    assert.equal(host.hits('/oauth4webapi.json'), 1, 'fetched once, then served from the cache');
  });

  for (const [name, auth] of [
    ['MCP SDK v1 (@modelcontextprotocol/sdk)', authV1],
    ['MCP SDK v2 (@modelcontextprotocol/client)', authV2],
  ] as const) {
    it(`${name} authorizes with clientMetadataUrl`, async () => {
      const clientMetadataUrl = publish(`/mcp-${auth === authV1 ? 'v1' : 'v2'}.json`);
      const provider = new InMemoryClientProvider({
        redirectUrl: 'http://127.0.0.1:33418/callback',
        clientMetadataUrl,
      });
      const run = (callback?: URL) => runMcpAuth(auth, provider, mcpResource, deployment.fetch, callback);
      assert.equal(await run(), 'REDIRECT');
      assert.equal(
        provider.clientInformation()?.client_id,
        clientMetadataUrl,
        'the SDK used the URL as its client_id',
      );
      const callback = await authorizeInBrowser(
        new UserAgent(deployment.fetch),
        provider.authorization.url!,
        deployment.issuer,
        LOGIN,
      );
      assert.equal(callback.searchParams.get('iss'), deployment.issuer);
      assert.equal(await run(callback), 'AUTHORIZED');
      const accessToken = provider.tokens()!.access_token;
      const claims = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString());
      assert.equal(claims.aud, mcpResource);
      assert.equal(claims.client_id, clientMetadataUrl);
    });
  }

  it('fetches an unseen document once for 200 concurrent authorization requests', async () => {
    const clientId = publish('/stampede.json');
    const as = await discover(deployment);
    const url = authorizationUrl(as.authorization_endpoint!, {
      client_id: clientId,
      redirect_uri: 'http://127.0.0.1:40000/callback',
      response_type: 'code',
      resource: mcpResource,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const responses = await Promise.all(
      Array.from({ length: 200 }, () => deployment.fetch(url.href, { redirect: 'manual' })),
    );
    assert.deepEqual(new Set(responses.map((response) => response.status)), new Set([303]));
    assert.equal(host.hits('/stampede.json'), 1);
  });

  it('ends on the server’s own error page, never a redirect, for a document it cannot use (CIMD-FETCH-13)', async () => {
    const mismatched = `${host.origin('client.test')}/mismatch.json`;
    host.json('/mismatch.json', {
      client_id: `${host.origin('client.test')}/other.json`,
      client_name: 'x',
      redirect_uris: ['http://127.0.0.1/callback'],
    });
    const missing = `${host.origin('client.test')}/missing.json`;
    const secretive = publish('/secret.json', { token_endpoint_auth_method: 'client_secret_basic' });
    for (const clientId of [mismatched, missing, secretive, `${host.origin('client.test')}/a/../b.json`]) {
      const url = authorizationUrl(`${deployment.issuer}/authorize`, {
        client_id: clientId,
        redirect_uri: 'http://127.0.0.1:40000/callback',
        response_type: 'code',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      });
      const response = await deployment.fetch(url.href, { redirect: 'manual' });
      assert.equal(response.status, 400, clientId);
      assert.equal(response.headers.get('location'), null);
      assert.match(await response.text(), /invalid_client/);
    }
  });

  it('re-fetches once when a redirect_uri is not in the cached document (the client just added it)', async () => {
    const clientId = publish('/grows.json', {}, { 'cache-control': 'max-age=86400' });
    const authorizeWith = (redirectUri: string) => {
      const url = authorizationUrl(`${deployment.issuer}/authorize`, {
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        resource: mcpResource,
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      });
      return deployment.fetch(url.href, { redirect: 'manual' });
    };
    assert.equal((await authorizeWith('http://127.0.0.1:40000/callback')).status, 303);
    // On the client_id host: kept (a foreign host would hold the client, decision 0031).
    const added = `${host.origin('client.test')}/cb`;
    publish('/grows.json', { redirect_uris: ['http://127.0.0.1/callback', added] });
    const second = await authorizeWith(added);
    assert.equal(second.status, 303, await second.text());
    assert.equal(host.hits('/grows.json'), 2);
    const changes = await deployment.gatehouse.store.audit.list({
      type: 'client.document_changed',
      clientId,
    });
    assert.equal(changes.length, 1);
    assert.deepEqual((changes[0]!.detail as { changed: string[] }).changed, ['redirect_uris']);
  });

  it('a confidential CIMD client with private_key_jwt (keys at jwks_uri) completes the flow and refreshes', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = 'cimd-e2e-key-1';
    host.json('/confidential/jwks.json', {
      keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }],
    });
    const clientId = publish('/confidential/client.json', {
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks_uri: `${host.origin('client.test')}/confidential/jwks.json`,
      redirect_uris: ['https://app.example.test/callback'],
    });
    const as = await discover(deployment);
    const client: oauth.Client = { client_id: clientId };
    const clientAuth = oauth.PrivateKeyJwt({ key: privateKey, kid });
    const redirectUri = 'https://app.example.test/callback';
    const verifier = oauth.generateRandomCodeVerifier();
    const url = authorizationUrl(as.authorization_endpoint!, {
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      resource: mcpResource,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const callback = await authorizeInBrowser(new UserAgent(deployment.fetch), url, deployment.issuer, LOGIN);
    const parameters = oauth.validateAuthResponse(as, client, callback, oauth.expectNoState);
    const tokens = await redeemCode(as, client, clientAuth, parameters, redirectUri, verifier, options);
    const refreshed = await refreshTokens(as, client, clientAuth, tokens.refresh_token!, options);
    assert.ok(refreshed.access_token);
    // Without its key the same client gets nowhere (CIMD-AUTH-2: no downgrade to none).
    await assert.rejects(
      refreshTokens(as, client, oauth.None(), refreshed.refresh_token!, options),
      (error: unknown) => error instanceof oauth.ResponseBodyError && error.error === 'invalid_client',
    );
    assert.equal(host.hits('/confidential/jwks.json'), 1, 'the JWKS is fetched once and cached');
  });
});
