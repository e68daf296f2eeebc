/**
 * The jwt-bearer grant against `gatehouse serve` over TLS (issue #17 items 5, 6; decision 0043),
 * driven by oauth4webapi's generic token endpoint request: a test IdP and a test CI platform
 * publish their JWKS on loopback `.test` hosts, fetched through the hardened fetcher.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { run } from '../../packages/cli/test/support/cli-process.ts';
import { discover } from '../support/discover.ts';
import { startTestDeployment, type TestDeployment } from '../support/gatehouse-over-tls.ts';
import { clientOptions, EXAMPLE_RESOURCES, RESOURCE } from '../support/oauth-client.ts';
import { startTestHost, type TestHost } from '../support/test-hosts.ts';
import { createTestCa } from '../support/test-pki.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const SECRET = 'an-agent-secret-that-is-long-enough-0123456789';
/** The resource server that checks tokens by introspection (RFC 7662, decision 0029). */
const INTROSPECTOR = 'e2e-introspector';

describe('e2e: jwt-bearer (ID-JAG, workload identity) with oauth4webapi', () => {
  let deployment: TestDeployment;
  let host: TestHost;
  let as: oauth.AuthorizationServer;
  let idpKey: CryptoKey;
  let ciKey: CryptoKey;
  let idp: string;
  let ci: string;

  before(async () => {
    const ca = await createTestCa('jwt-bearer e2e CA');
    host = await startTestHost(ca, ['idp.test', 'ci.test']);
    idp = host.origin('idp.test');
    ci = host.origin('ci.test');
    const idpPair = await generateKeyPair('ES256');
    const ciPair = await generateKeyPair('ES256');
    idpKey = idpPair.privateKey;
    ciKey = ciPair.privateKey;
    host.json('/jwks', { keys: [{ ...(await exportJWK(idpPair.publicKey)), kid: 'idp', alg: 'ES256' }] });
    host.json('/ci-jwks', { keys: [{ ...(await exportJWK(ciPair.publicKey)), kid: 'ci', alg: 'ES256' }] });
    deployment = await startTestDeployment(
      {
        resources: EXAMPLE_RESOURCES,
        introspection: { clients: [INTROSPECTOR] },
        enterprise: { identity_providers: [{ issuer: idp, jwks_uri: `${idp}/jwks`, accounts: 'provision' }] },
        workload_identity: {
          issuers: [
            {
              issuer: ci,
              jwks_uri: `${ci}/ci-jwks`,
              rules: [
                {
                  match: { claims: { repository: 'acme/*' } },
                  client_id: 'workload:ci/{repository}',
                  scope: ['mcp:tools'],
                },
              ],
            },
          ],
        },
      },
      { ca, testHosts: ['idp.test', 'ci.test'] },
    );
    await deployment.addClient({
      client_id: 'agent',
      client_secret: SECRET,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: [JWT_BEARER],
      redirect_uris: [],
      response_types: [],
    });
    await deployment.addClient({
      client_id: INTROSPECTOR,
      client_secret: SECRET,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    });
    as = await discover(deployment);
  });

  after(async () => {
    await deployment?.close();
    await host?.close();
  });

  const seconds = () => Math.floor(Date.now() / 1000);
  const idJag = (claims: Record<string, unknown> = {}) =>
    new SignJWT({
      client_id: 'agent',
      resource: RESOURCE,
      scope: 'mcp:tools',
      jti: crypto.randomUUID(),
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp', typ: 'oauth-id-jag+jwt' })
      .setIssuer(idp)
      .setSubject('u-carol')
      .setAudience((claims.aud as string | undefined) ?? deployment.issuer)
      .setIssuedAt(seconds())
      .setExpirationTime((claims.exp as number | undefined) ?? seconds() + 120)
      .sign(idpKey);
  const agent: oauth.Client = { client_id: 'agent' };
  const exchange = async (assertion: string) =>
    oauth.genericTokenEndpointRequest(
      as,
      agent,
      oauth.ClientSecretPost(SECRET),
      JWT_BEARER,
      { assertion, resource: RESOURCE },
      clientOptions(deployment),
    );

  /** oauth4webapi itself reads the refusal: an RFC 6749 §5.2 body with `invalid_grant`. */
  async function refusedByOauth4webapi(response: Response, reason: string) {
    await assert.rejects(oauth.processGenericTokenEndpointResponse(as, agent, response), (error) => {
      assert.ok(error instanceof oauth.ResponseBodyError, reason);
      assert.equal(error.error, 'invalid_grant', reason);
      return true;
    });
  }

  it('exchanges an ID-JAG; refuses a replayed jti, a wrong audience, a wrong client, an expired one', async () => {
    const assertion = await idJag();
    const tokens = await oauth.processGenericTokenEndpointResponse(as, agent, await exchange(assertion));
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.refresh_token, undefined);
    assert.equal(tokens.scope, 'mcp:tools');
    const cases: [Promise<string>, string][] = [
      [Promise.resolve(assertion), 'jwt_bearer_replayed'],
      [idJag({ aud: 'https://elsewhere.test' }), 'jwt_bearer_audience'],
      [idJag({ client_id: 'someone-else' }), 'id_jag_client_mismatch'],
      [idJag({ exp: seconds() - 120 }), 'jwt_bearer_expired'],
    ];
    for (const [made, reason] of cases) {
      const response = await exchange(await made);
      const body = (await response.clone().json()) as { error?: string };
      assert.equal(response.status, 400, reason);
      assert.equal(body.error, 'invalid_grant', reason);
      await refusedByOauth4webapi(response, reason);
    }
  });

  it('exchanges a workload token for one it holds for itself, inactive and refused once `gatehouse clients block` blocks it', async () => {
    const workloadToken = () =>
      new SignJWT({ repository: 'acme/deploy', jti: crypto.randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: 'ci' })
        .setIssuer(ci)
        .setSubject('repo:acme/deploy:ref:refs/heads/main')
        .setAudience(deployment.issuer)
        .setIssuedAt(seconds())
        .setExpirationTime(seconds() + 300)
        .sign(ciKey);
    const workload: oauth.Client = { client_id: 'workload:ci/acme/deploy' };
    const send = async (DPoP?: oauth.DPoPHandle) =>
      oauth.genericTokenEndpointRequest(
        as,
        workload,
        oauth.None(),
        JWT_BEARER,
        { assertion: await workloadToken(), resource: RESOURCE },
        { ...clientOptions(deployment), ...(DPoP === undefined ? {} : { DPoP }) },
      );
    const introspector: oauth.Client = { client_id: INTROSPECTOR };
    const introspect = async (token: string) =>
      oauth.processIntrospectionResponse(
        as,
        introspector,
        await oauth.introspectionRequest(
          as,
          introspector,
          oauth.ClientSecretBasic(SECRET),
          token,
          clientOptions(deployment),
        ),
      );
    const tokens = await oauth.processGenericTokenEndpointResponse(as, workload, await send());
    assert.equal(tokens.refresh_token, undefined);
    // A token the workload holds for itself (decisions 0042, 0043): its client_id is the subject.
    assert.equal(decodeJwt(tokens.access_token).sub, workload.client_id);
    assert.equal((await deployment.gatehouse.store.clients.get('workload:ci/acme/deploy'))?.kind, 'workload');
    const active = await introspect(tokens.access_token);
    assert.equal(active.active, true);
    assert.equal(active.sub, workload.client_id);
    assert.equal(active.client_id, workload.client_id);

    // RFC 9449: a proof binds it, as it binds a client_credentials token.
    const DPoP = oauth.DPoP(workload, await generateKeyPair('ES256'));
    let bound: oauth.TokenEndpointResponse;
    try {
      bound = await oauth.processGenericTokenEndpointResponse(as, workload, await send(DPoP));
    } catch (error) {
      // RFC 9449 §8: the server asks for its nonce first; the handle now holds it.
      if (!oauth.isDPoPNonceError(error)) throw error;
      bound = await oauth.processGenericTokenEndpointResponse(as, workload, await send(DPoP));
    }
    assert.equal(bound.token_type, 'dpop');
    assert.deepEqual(decodeJwt(bound.access_token).cnf, { jkt: await DPoP.calculateThumbprint() });

    const blocked = await run(['clients', 'block', 'workload:ci/acme/deploy', '--data', deployment.dataDir]);
    assert.equal(blocked.code, 0, blocked.stderr);
    // The running server reads the stored rule on its next governance reload.
    let response = await send();
    for (let attempt = 0; attempt < 50 && response.status === 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      response = await send();
    }
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { error?: string }).error, 'invalid_client');
    // The token already issued stops at once: no family to revoke, the client's standing decides.
    assert.equal((await introspect(tokens.access_token)).active, false);
  });
});
