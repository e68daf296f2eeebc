import * as oauth from 'oauth4webapi';
import type { TestDeployment, TestFetch } from './gatehouse-over-tls.ts';

/**
 * oauth4webapi as the e2e tests' client of a test deployment: the resource most of them protect,
 * and the steps every flow repeats (code redemption, refresh, RFC 9068 validation at the resource),
 * each exactly the oauth4webapi calls a real client makes, so its checks of every answer still run.
 */

export const RESOURCE = 'https://mcp.example.test/mcp';
export const RESOURCE_NAME = 'Example MCP server';

/** `resources` of a deployment protecting RESOURCE: mcp:tools by default, mcp:admin on request. */
export const EXAMPLE_RESOURCES = [
  { uri: RESOURCE, scopes: ['mcp:tools', 'mcp:admin'], default_scopes: ['mcp:tools'], name: RESOURCE_NAME },
];

/** oauth4webapi's options for a deployment: requests go through its fetch, which trusts the test CA. */
export type ClientOptions = { [oauth.customFetch]: TestFetch };

export function clientOptions(deployment: TestDeployment): ClientOptions {
  return { [oauth.customFetch]: deployment.fetch };
}

/**
 * An authorization request as oauth4webapi's client makes one: `parameters` with a fresh state and
 * PKCE (RFC 7636, S256); returns its URL, and the state and verifier the client keeps.
 */
export async function newAuthorizationRequest(
  as: oauth.AuthorizationServer,
  parameters: Record<string, string>,
): Promise<{ url: URL; state: string; codeVerifier: string }> {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...parameters,
  }).toString();
  return { url, state, codeVerifier };
}

/** The code exchange (RFC 6749 §4.1.3 with the RFC 7636 verifier), the answer checked by oauth4webapi. */
export async function redeemCode(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  clientAuth: oauth.ClientAuth,
  parameters: URLSearchParams,
  redirectUri: string,
  codeVerifier: string,
  options: oauth.TokenEndpointRequestOptions,
): Promise<oauth.TokenEndpointResponse> {
  return oauth.processAuthorizationCodeResponse(
    as,
    client,
    await oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth,
      parameters,
      redirectUri,
      codeVerifier,
      options,
    ),
  );
}

/** A refresh (RFC 6749 §6): the new tokens, or the OAuth error oauth4webapi raised. */
export async function refreshTokens(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  clientAuth: oauth.ClientAuth,
  refreshToken: string,
  options: oauth.TokenEndpointRequestOptions,
): Promise<oauth.TokenEndpointResponse> {
  return oauth.processRefreshTokenResponse(
    as,
    client,
    await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, options),
  );
}

/** The resource server's view of a bearer token: an RFC 9068 JWT for exactly `resource`. */
export function validateBearerToken(
  as: oauth.AuthorizationServer,
  accessToken: string,
  resource: string,
  options: ClientOptions,
): Promise<oauth.JWTAccessTokenClaims> {
  return oauth.validateJwtAccessToken(
    as,
    new Request(resource, { headers: { authorization: `Bearer ${accessToken}` } }),
    resource,
    options,
  );
}

/** The authorization URL of a pushed request: RFC 9126 §4, the browser carries only client_id and request_uri. */
export function pushedAuthorizationUrl(
  as: oauth.AuthorizationServer,
  clientId: string,
  requestUri: string,
): URL {
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({ client_id: clientId, request_uri: requestUri }).toString();
  return url;
}
