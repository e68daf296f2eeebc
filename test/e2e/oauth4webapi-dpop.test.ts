/**
 * End to end with oauth4webapi's DPoP support (RFC 9449) against the real server over https on
 * loopback, the way an AT Protocol-style confidential client runs (issue #5, AT-9, AT-11):
 * PAR with a DPoP proof and private_key_jwt, the server's nonce dance (`use_dpop_nonce`, retried
 * with oauth4webapi's DPoP handle and isDPoPNonceError), the browser steps, the code exchange and a
 * refresh, each with DPoP. The access token carries `cnf.jkt` of the client's DPoP key, and
 * oauth4webapi's own resource-server validation accepts it only with a proof of that key.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { authorizeInBrowser } from '../support/authorize-in-browser.ts';
import { discover } from '../support/discover.ts';
import { startTestDeployment, type TestDeployment } from '../support/gatehouse-over-tls.ts';
import {
  type ClientOptions,
  clientOptions,
  pushedAuthorizationUrl,
  RESOURCE,
  redeemCode,
  refreshTokens,
} from '../support/oauth-client.ts';
import { UserAgent } from '../support/user-agent.ts';

const REDIRECT_URI = 'https://app.example.test/callback';

describe('oauth4webapi with DPoP against Gatehouse over TLS', () => {
  let deployment: TestDeployment;
  let as: oauth.AuthorizationServer;
  let options: ClientOptions;
  const client: oauth.Client = { client_id: 'e2e-dpop-confidential' };
  let clientAuth: oauth.ClientAuth;
  let dpopKeys: CryptoKeyPair;
  let dpopJkt: string;

  before(async () => {
    deployment = await startTestDeployment({
      resources: [{ uri: RESOURCE, scopes: ['mcp:tools'], default_scopes: ['mcp:tools'] }],
    });
    options = clientOptions(deployment);
    await deployment.addUser('alice', 'correct horse battery staple');
    const clientKeys = await generateKeyPair('ES256');
    await deployment.addClient({
      client_id: client.client_id,
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [{ ...(await exportJWK(clientKeys.publicKey)), kid: 'client-key-1', alg: 'ES256' }] },
      grant_types: ['authorization_code', 'refresh_token'],
      dpop_bound_access_tokens: true,
    });
    clientAuth = oauth.PrivateKeyJwt({ key: clientKeys.privateKey, kid: 'client-key-1' });
    dpopKeys = await generateKeyPair('ES256');
    dpopJkt = await calculateJwkThumbprint(await exportJWK(dpopKeys.publicKey), 'sha256');
    as = await discover(deployment);
  });

  after(() => deployment.close());

  /** RFC 9449 §8: one retry when the server asks for (another) nonce; counts the retries. */
  let nonceRetries = 0;
  async function withNonceRetry<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!oauth.isDPoPNonceError(error)) throw error;
      nonceRetries += 1;
      return call();
    }
  }

  it('publishes DPoP support (RFC 9449 §5.1)', () => {
    assert.ok(as.dpop_signing_alg_values_supported?.includes('ES256'));
  });

  it('runs PAR + DPoP (with the nonce dance) + private_key_jwt, the code exchange and a refresh', async () => {
    const DPoP = oauth.DPoP(client, dpopKeys);
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();

    // PAR with a proof: the first answer is use_dpop_nonce, the retry carries the server's nonce.
    const pushed = await withNonceRetry(async () =>
      oauth.processPushedAuthorizationResponse(
        as,
        client,
        await oauth.pushedAuthorizationRequest(
          as,
          client,
          clientAuth,
          {
            redirect_uri: REDIRECT_URI,
            response_type: 'code',
            scope: 'mcp:tools',
            state,
            resource: RESOURCE,
            code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
            code_challenge_method: 'S256',
          },
          { ...options, DPoP },
        ),
      ),
    );
    assert.equal(nonceRetries, 1, 'the server asked for a nonce once');

    const url = pushedAuthorizationUrl(as, client.client_id, pushed.request_uri);
    const callback = await authorizeInBrowser(new UserAgent(deployment.fetch), url, deployment.issuer, {
      username: 'alice',
      password: 'correct horse battery staple',
    });
    const parameters = oauth.validateAuthResponse(as, client, callback, state);

    // The code is bound to the PAR proof's key (§10.1); the handle already holds a nonce.
    const tokens = await withNonceRetry(() =>
      redeemCode(as, client, clientAuth, parameters, REDIRECT_URI, codeVerifier, { ...options, DPoP }),
    );
    assert.equal(tokens.token_type, 'dpop');
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: dpopJkt });
    assert.equal(await DPoP.calculateThumbprint(), dpopJkt);
    assert.ok(tokens.refresh_token);

    // oauth4webapi's resource-server check: a DPoP token is accepted only with a proof of its key.
    const resourceRequest = async (accessToken: string, keys: CryptoKeyPair) => {
      const ath = Buffer.from(
        await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)),
      ).toString('base64url');
      const proof = await new SignJWT({
        htm: 'GET',
        htu: RESOURCE,
        iat: Math.floor(Date.now() / 1000),
        jti: randomUUID(),
        ath,
      })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: await exportJWK(keys.publicKey) })
        .sign(keys.privateKey);
      return new Request(RESOURCE, { headers: { authorization: `DPoP ${accessToken}`, dpop: proof } });
    };
    const claims = await oauth.validateJwtAccessToken(
      as,
      await resourceRequest(tokens.access_token, dpopKeys),
      RESOURCE,
      options,
    );
    assert.equal(claims.client_id, client.client_id);
    await assert.rejects(
      oauth.validateJwtAccessToken(
        as,
        await resourceRequest(tokens.access_token, await generateKeyPair('ES256')),
        RESOURCE,
        options,
      ),
    );

    // Refresh with DPoP: rotated, and the new access token is bound to the same key.
    const refreshed = await withNonceRetry(() =>
      refreshTokens(as, client, clientAuth, tokens.refresh_token!, { ...options, DPoP }),
    );
    assert.equal(refreshed.token_type, 'dpop');
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    assert.deepEqual(decodeJwt(refreshed.access_token).cnf, { jkt: dpopJkt });
  });

  it('refuses a token request of this dpop_bound_access_tokens client without DPoP', async () => {
    await assert.rejects(
      refreshTokens(as, client, clientAuth, 'any-refresh-token', options),
      (error: unknown) => error instanceof oauth.ResponseBodyError && error.error === 'invalid_dpop_proof',
    );
  });
});
