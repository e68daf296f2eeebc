/**
 * End to end with oauth4webapi, a spec-strict client none of us wrote, against the real server
 * over https on loopback: discovery (RFC 8414), authorization code + PKCE + resource (RFC 6749,
 * 7636, 8707), the RFC 9207 iss check, RFC 9068 access token validation, refresh rotation,
 * revocation (RFC 7009) and introspection (RFC 7662). The login and consent forms are submitted by
 * a test user agent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { authorizeInBrowser } from '../support/authorize-in-browser.ts';
import { discover } from '../support/discover.ts';
import { startTestDeployment, type TestDeployment } from '../support/gatehouse-over-tls.ts';
import {
  type ClientOptions,
  clientOptions,
  EXAMPLE_RESOURCES,
  newAuthorizationRequest,
  pushedAuthorizationUrl,
  RESOURCE,
  redeemCode,
  refreshTokens,
  validateBearerToken,
} from '../support/oauth-client.ts';
import { UserAgent } from '../support/user-agent.ts';

const REDIRECT_URI = 'https://app.example.test/callback';

describe('oauth4webapi against Gatehouse over TLS', () => {
  let deployment: TestDeployment;
  let as: oauth.AuthorizationServer;
  let options: ClientOptions;
  let confidential: { client: oauth.Client; auth: oauth.ClientAuth };
  let resourceServer: { client: oauth.Client; auth: oauth.ClientAuth };

  before(async () => {
    deployment = await startTestDeployment({
      // The resource server may introspect its resource's tokens (RFC 7662 §2.1, decision 0029).
      resources: EXAMPLE_RESOURCES.map((resource) => ({
        ...resource,
        introspection_clients: ['e2e-resource-server'],
      })),
      lifetimes: { refresh_grace_seconds: 0 },
    });
    options = clientOptions(deployment);
    await deployment.addUser('alice', 'correct horse battery staple');
    const app = await deployment.addClient({
      client_id: 'e2e-confidential',
      client_name: 'E2E confidential app',
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
    });
    confidential = { client: { client_id: app.clientId }, auth: oauth.ClientSecretBasic(app.secret!) };
    const rs = await deployment.addClient({
      client_id: 'e2e-resource-server',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: [],
      response_types: [],
    });
    resourceServer = { client: { client_id: rs.clientId }, auth: oauth.ClientSecretPost(rs.secret!) };
    as = await discover(deployment);
  });

  after(() => deployment.close());

  async function authorize(client: oauth.Client, redirectUri: string, scope: string) {
    const { url, state, codeVerifier } = await newAuthorizationRequest(as, {
      client_id: client.client_id,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope,
      resource: RESOURCE,
    });
    const ua = new UserAgent(deployment.fetch);
    const callback = await authorizeInBrowser(ua, url, deployment.issuer, {
      username: 'alice',
      password: 'correct horse battery staple',
    });
    // Checks state, and RFC 9207 iss against the discovered issuer.
    const parameters = oauth.validateAuthResponse(as, client, callback, state);
    return { parameters, codeVerifier, ua };
  }

  const refresh = (client: oauth.Client, auth: oauth.ClientAuth, refreshToken: string) =>
    refreshTokens(as, client, auth, refreshToken, options);

  const invalidGrant = (error: unknown) =>
    error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant';

  it('discovers the server with the RFC 8414 document', () => {
    assert.equal(as.issuer, deployment.issuer);
    assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
    assert.equal(as.authorization_response_iss_parameter_supported, true);
  });

  it('runs the code flow with PKCE and resource, then refreshes, introspects and revokes', async () => {
    const { client, auth } = confidential;
    const { parameters, codeVerifier } = await authorize(client, REDIRECT_URI, 'mcp:tools');
    const tokens = await redeemCode(as, client, auth, parameters, REDIRECT_URI, codeVerifier, {
      ...options,
      additionalParameters: { resource: RESOURCE },
    });
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'mcp:tools');
    assert.ok(tokens.refresh_token);

    // The resource server's view: an RFC 9068 JWT for exactly this audience.
    const claims = await validateBearerToken(as, tokens.access_token, RESOURCE, options);
    assert.equal(claims.client_id, client.client_id);
    assert.equal(claims.scope, 'mcp:tools');

    // Refresh rotates the refresh token.
    const refreshed = await refresh(client, auth, tokens.refresh_token);
    assert.ok(refreshed.refresh_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);

    const introspect = (token: string) =>
      oauth
        .introspectionRequest(as, resourceServer.client, resourceServer.auth, token, options)
        .then((response) => oauth.processIntrospectionResponse(as, resourceServer.client, response));
    const active = await introspect(refreshed.access_token);
    assert.equal(active.active, true);
    assert.equal(active.client_id, client.client_id);
    assert.equal(active.aud, RESOURCE);
    // A client that is not a resource server may not introspect, not even its own tokens.
    const notAllowed = await oauth.introspectionRequest(as, client, auth, refreshed.access_token, options);
    assert.equal(notAllowed.status, 403);
    assert.equal(((await notAllowed.json()) as { error: string }).error, 'unauthorized_client');

    // RFC 7009: revoking the refresh token ends the family, access tokens included.
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, refreshed.refresh_token!, options),
    );
    assert.equal((await introspect(refreshed.access_token)).active, false);
    // A resource server sees no refresh token, revoked or not (§2.2).
    assert.equal((await introspect(refreshed.refresh_token!)).active, false);
    await assert.rejects(refresh(client, auth, refreshed.refresh_token!), invalidGrant);
  });

  it('detects refresh token reuse and revokes the whole family', async () => {
    const { client, auth } = confidential;
    const { parameters, codeVerifier } = await authorize(client, REDIRECT_URI, 'mcp:tools');
    const tokens = await redeemCode(as, client, auth, parameters, REDIRECT_URI, codeVerifier, options);
    const next = await refresh(client, auth, tokens.refresh_token!);
    // Replaying the first refresh token (grace window 0 here) is theft: the family is revoked...
    await assert.rejects(refresh(client, auth, tokens.refresh_token!), invalidGrant);
    // ...so the legitimate holder's newer token stops working too.
    await assert.rejects(refresh(client, auth, next.refresh_token!), invalidGrant);
  });

  it('pushes the authorization request (RFC 9126), authorizes with its request_uri and redeems the code', async () => {
    const { client, auth } = confidential;
    assert.equal(as.pushed_authorization_request_endpoint, `${deployment.issuer}/par`);
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const pushed = await oauth.processPushedAuthorizationResponse(
      as,
      client,
      await oauth.pushedAuthorizationRequest(
        as,
        client,
        auth,
        {
          redirect_uri: REDIRECT_URI,
          response_type: 'code',
          scope: 'mcp:tools',
          state,
          resource: RESOURCE,
          code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
          code_challenge_method: 'S256',
        },
        options,
      ),
    );
    assert.match(pushed.request_uri, /^urn:ietf:params:oauth:request_uri:/);
    assert.equal(pushed.expires_in, 60);
    const url = pushedAuthorizationUrl(as, client.client_id, pushed.request_uri);
    const callback = await authorizeInBrowser(new UserAgent(deployment.fetch), url, deployment.issuer, {
      username: 'alice',
      password: 'correct horse battery staple',
    });
    const parameters = oauth.validateAuthResponse(as, client, callback, state);
    const tokens = await redeemCode(as, client, auth, parameters, REDIRECT_URI, codeVerifier, options);
    assert.equal(tokens.scope, 'mcp:tools');
  });

  it('serves a public loopback client on any port (RFC 8252 §7.3), with no refresh token it did not register for', async () => {
    const registered = 'http://127.0.0.1/callback';
    await deployment.addClient({
      client_id: 'e2e-native',
      redirect_uris: [registered],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      application_type: 'native',
    });
    const client: oauth.Client = { client_id: 'e2e-native', token_endpoint_auth_method: 'none' };
    const redirectUri = 'http://127.0.0.1:49152/callback';
    const first = await authorize(client, redirectUri, 'mcp:tools');
    const tokens = await redeemCode(
      as,
      client,
      oauth.None(),
      first.parameters,
      redirectUri,
      first.codeVerifier,
      options,
    );
    assert.equal(tokens.refresh_token, undefined, 'no refresh_token grant registered, so none issued');
  });
});
