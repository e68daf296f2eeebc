/**
 * The quick start client: a native app in the style of an MCP client. It discovers Gatehouse, opens
 * a loopback listener on a free port (RFC 8252 §7.3: the registered redirect has no port), prints
 * the authorization URL for you to open, receives the code, redeems it with PKCE, and prints the
 * token response. Uses oauth4webapi, an independent, spec-strict OAuth client.
 *
 *   npm run quickstart -- [issuer] [resource]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';

const issuer = new URL(process.argv[2] ?? process.env.GATEHOUSE_ISSUER ?? 'http://localhost:8080');
const resource = process.argv[3];
const client: oauth.Client = { client_id: 'quickstart', token_endpoint_auth_method: 'none' };
// oauth4webapi refuses plain http; a loopback development issuer is the one place it is fine.
const options =
  issuer.protocol === 'http:' && ['localhost', '127.0.0.1'].includes(issuer.hostname)
    ? { [oauth.allowInsecureRequests]: true }
    : {};

const as = await oauth.processDiscoveryResponse(
  issuer,
  await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }),
);
const codeVerifier = oauth.generateRandomCodeVerifier();
const state = oauth.generateRandomState();

const callback = await new Promise<{ url: URL; redirectUri: string }>((resolve) => {
  let redirectUri = '';
  const listener = createServer((request, response) => {
    const url = new URL(request.url ?? '/', redirectUri);
    if (url.pathname !== '/callback') return void response.writeHead(404).end();
    response
      .writeHead(200, { 'content-type': 'text/plain' })
      .end('Done: you can close this tab and go back to the terminal.\n');
    listener.close();
    resolve({ url, redirectUri });
  });
  listener.listen(0, '127.0.0.1', async () => {
    redirectUri = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/callback`;
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: client.client_id,
      redirect_uri: redirectUri,
      response_type: 'code',
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      ...(resource === undefined ? {} : { resource }),
    }).toString();
    process.stdout.write(`Open this URL in your browser, sign in and allow:\n\n  ${url.href}\n\n`);
  });
});

const parameters = oauth.validateAuthResponse(as, client, callback.url, state);
const tokens = await oauth.processAuthorizationCodeResponse(
  as,
  client,
  await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    parameters,
    callback.redirectUri,
    codeVerifier,
    {
      ...options,
      ...(resource === undefined ? {} : { additionalParameters: { resource } }),
    },
  ),
);
const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString());
process.stdout.write(
  `Token response:\n${JSON.stringify({ ...tokens, access_token: `${tokens.access_token.slice(0, 24)}…` }, null, 2)}\n`,
);
process.stdout.write(`Access token claims:\n${JSON.stringify(claims, null, 2)}\n`);
