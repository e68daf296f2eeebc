/**
 * The AT Protocol profile end to end (issue #5; docs/atproto.md): `@atproto/oauth-client-node`, the
 * reference client library, signs a user in against `gatehouse serve` with `profile: atproto`, over
 * real TLS on loopback. It does everything a real atproto app does: resolves the user's DID (a
 * did:plc document served by a stand-in PLC directory on `plc.test`), the PDS's protected-resource
 * metadata (`pds.test`, naming Gatehouse as its one authorization server, AT-13), the AS metadata
 * (AT-12), then PAR with DPoP and server nonces (AT-6, AT-11), the browser login and consent, the
 * code exchange, and checks that the token response `sub` is the DID whose document points back at
 * this AS (AT-10; Gatehouse gets the DID from its subject supplier). Then it refreshes.
 *
 * (a) a public client whose metadata document is on `client.test`, (b) a confidential client
 * authenticating with private_key_jwt (ES256, keys made by @atproto/jwk-jose, whose public JWKs
 * carry key_ops values strict libraries reject), (c) the loopback development client
 * `http://localhost` (AT-5), whose document nobody serves.
 *
 * The `.test` hosts run on an ephemeral port, so their client_ids carry one: the deployment turns
 * on the development switch `atproto.dev_allow_client_id_port` (AT-2 forbids ports otherwise).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JoseKey } from '@atproto/jwk-jose';
import type { NodeOAuthClient } from '@atproto/oauth-client-node';
import {
  atprotoClient as clientFor,
  fetchThrough,
  freePort,
  publicClientMetadata,
  publishAccount,
} from '../support/atproto-client.ts';
import { authorizeInBrowser } from '../support/authorize-in-browser.ts';
import { startTestDeployment, type TestDeployment } from '../support/gatehouse-over-tls.ts';
import { startTestHost, type TestHost } from '../support/test-hosts.ts';
import { createTestCa } from '../support/test-pki.ts';
import { UserAgent } from '../support/user-agent.ts';

const LOGIN = { username: 'alice', password: 'correct horse battery staple' };
/** did:plc identifiers are 24 base32 characters. */
const DID = 'did:plc:gatehousee2etestalice234';
const SCOPE = 'atproto transition:generic';

describe('AT Protocol profile end to end with @atproto/oauth-client-node', () => {
  let deployment: TestDeployment;
  let host: TestHost;
  let pds: string;
  /** The fetch the atproto client uses: trusts the test CA, dials only loopback. */
  let clientFetch: typeof globalThis.fetch;

  before(async () => {
    const ca = await createTestCa('Gatehouse atproto e2e CA');
    host = await startTestHost(ca, ['client.test', 'pds.test', 'plc.test']);
    pds = host.origin('pds.test');
    // atproto clients refuse an https issuer on localhost: the AS is https://auth.test:<port>.
    const port = await freePort();
    deployment = await startTestDeployment(
      {
        profile: 'atproto',
        port,
        issuer: `https://auth.test:${port}`,
        atproto: { dev_allow_client_id_port: true },
        resources: [{ uri: pds, scopes: ['transition:generic'], name: 'E2E PDS' }],
        cimd: { refresh_cooldown_seconds: 0, fetches_per_second_per_host: 100 },
      },
      {
        ca,
        serverNames: ['auth.test'],
        testHosts: ['client.test'],
        // The AT Protocol service maps its accounts to DIDs.
        subject: ({ username }) => (username === LOGIN.username ? DID : `did:plc:${username}`),
      },
    );
    await deployment.addUser(LOGIN.username, LOGIN.password);
    pds = publishAccount(host, DID, deployment.issuer);
    clientFetch = fetchThrough(deployment.dispatcher);
  });

  after(async () => {
    await deployment?.close();
    await host?.close();
  });

  function atprotoClient(
    clientMetadata: ConstructorParameters<typeof NodeOAuthClient>[0]['clientMetadata'],
    keyset?: JoseKey[],
  ) {
    return clientFor(host, clientFetch, clientMetadata, keyset);
  }

  /** authorize() → the browser → callback(): what an atproto app does, then one forced refresh. */
  async function signIn(client: NodeOAuthClient) {
    const url = await client.authorize(DID, { scope: SCOPE });
    assert.ok(url.searchParams.get('request_uri'), 'the request was pushed (AT-6)');
    const callback = await authorizeInBrowser(new UserAgent(deployment.fetch), url, deployment.issuer, LOGIN);
    assert.equal(callback.searchParams.get('iss'), deployment.issuer);
    const { session } = await client.callback(callback.searchParams);
    assert.equal(session.did, DID, 'the token response sub is the DID (AT-10)');
    const info = await session.getTokenInfo(false);
    assert.equal(info.iss, deployment.issuer);
    assert.equal(info.aud, `${pds}/`);
    assert.ok(info.scope.split(' ').includes('atproto'));
    // A forced refresh: DPoP again, rotation, the DID checked again against its document.
    const restored = await client.restore(DID, true);
    const refreshed = await restored.getTokenInfo(false);
    assert.notEqual(refreshed.expiresAt, undefined);
    return restored;
  }

  it('(a) a public client with its metadata document on client.test', async () => {
    const metadata = publicClientMetadata(host, {
      documentPath: '/public/oauth-client-metadata.json',
      callbackPath: '/public/callback',
      name: 'E2E atproto public client',
      scope: SCOPE,
    });
    const clientId = metadata.client_id;
    host.json('/public/oauth-client-metadata.json', metadata);
    const client = atprotoClient(metadata);
    await signIn(client);
    const families = await deployment.gatehouse.store.tokenFamilies.listByClient(clientId);
    assert.equal(families.length, 1);
    assert.equal(families[0]!.clientKeyThumbprint, undefined, 'a public client has no key binding');
  });

  it('(b) a confidential client with private_key_jwt, bound to its key (AT-9)', async () => {
    const clientId = `${host.origin('client.test')}/confidential/oauth-client-metadata.json`;
    const key = await JoseKey.generate(['ES256'], 'e2e-key-1');
    const client = atprotoClient(
      {
        client_id: clientId,
        client_name: 'E2E atproto confidential client',
        client_uri: host.origin('client.test'),
        redirect_uris: [`${host.origin('client.test')}/confidential/callback`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        scope: SCOPE,
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        application_type: 'web',
        dpop_bound_access_tokens: true,
        // The library fills jwks from the keyset: public JWKs with the key_ops it puts there.
      },
      [key],
    );
    host.json('/confidential/oauth-client-metadata.json', client.clientMetadata);
    await signIn(client);
    const families = await deployment.gatehouse.store.tokenFamilies.listByClient(clientId);
    assert.ok(families.length >= 1);
    for (const family of families) assert.ok(family.clientKeyThumbprint, 'bound to the client key');
    // The key leaves the document: the next re-check revokes the session (AT-9), no refresh needed.
    host.json('/confidential/oauth-client-metadata.json', { ...client.clientMetadata, jwks: { keys: [] } });
    const result = await deployment.gatehouse.server.recheckClientKeys();
    assert.ok(result.familiesRevoked >= 1, JSON.stringify(result));
    await assert.rejects(client.restore(DID, true));
  });

  it('(c) the loopback development client http://localhost, whose document nobody serves (AT-5)', async () => {
    const redirectUri = 'http://127.0.0.1/callback';
    const client = atprotoClient({
      client_id: `http://localhost?redirect_uri=${encodeURIComponent(redirectUri)}&scope=${encodeURIComponent(SCOPE)}`,
      redirect_uris: [redirectUri],
      scope: SCOPE,
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      dpop_bound_access_tokens: true,
    });
    await signIn(client);
  });
});
