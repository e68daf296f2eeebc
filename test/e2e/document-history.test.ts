/**
 * Document history and ownership drift end to end (issue #14, items 2 and 3): Gatehouse as
 * `gatehouse serve` runs it (SQLite, TLS on loopback), a client whose metadata document lives on
 * `client.test`, served over real TLS by a server with a certificate from one throwaway CA, and the
 * operator's `gatehouse clients history` run as a separate process on the same database file.
 *
 * The document is edited twice (its keys rotated, then a redirect added on a new host): the history
 * shows three versions and the exact value-level diffs. Then the domain changes hands: the same
 * client_id is answered by another server, with a certificate from a second CA (the fetcher trusts
 * both, as public CAs are all trusted) and new client keys. The drift is detected
 * (`client.drift_suspected`, `certificate_and_keys`), the client goes back to pending, and its
 * user's refresh token stops working.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jwkThumbprint } from '@gatehouse-oauth/core';
import type { DocumentHistory } from '@gatehouse-oauth/server';
import { exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import { run } from '../../packages/cli/test/support/cli-process.ts';
import { authorizeInBrowser } from '../support/authorize-in-browser.ts';
import { discover } from '../support/discover.ts';
import { startTestDeployment, type TestDeployment } from '../support/gatehouse-over-tls.ts';
import {
  clientOptions,
  EXAMPLE_RESOURCES,
  RESOURCE,
  redeemCode,
  refreshTokens,
} from '../support/oauth-client.ts';
import { createTestCa, type TestCa } from '../support/test-pki.ts';
import { UserAgent } from '../support/user-agent.ts';

const LOGIN = { username: 'alice', password: 'correct horse battery staple' };
const REDIRECT = 'http://127.0.0.1/callback';
const NEW_HOST_REDIRECT = 'https://newhost.test/callback';

/** Retries `check` until it passes, for at most `withinMs` (fetches happen in the background). */
async function eventually<T>(check: () => Promise<T>, withinMs = 5000): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() - started > withinMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function publicKey(kid: string) {
  const { publicKey: key } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(key)), kid, alg: 'ES256' };
}

/** The server behind `client.test`: one document, a certificate of one CA; stopped to change hands. */
interface Origin {
  port: number;
  serve(document: unknown): void;
  close(): Promise<void>;
}

async function startOrigin(ca: TestCa, port = 0): Promise<Origin> {
  const { cert, key } = await ca.issue(['client.test']);
  let body = '{}';
  const server: Server = createServer({ cert, key }, (request, response) => {
    if (request.url !== '/client.json') return void response.writeHead(404).end();
    // Stale at once: every use of the client makes the server revalidate it (in the background).
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=0' }).end(body);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    serve: (document) => {
      body = JSON.stringify(document);
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('document history and ownership drift end to end (two CAs, the CLI beside the server)', () => {
  let caOne: TestCa;
  let caTwo: TestCa;
  let origin: Origin;
  let deployment: TestDeployment;
  let clientId: string;
  const directory = mkdtempSync(join(tmpdir(), 'gatehouse-history-e2e-'));
  const keys: Record<string, unknown>[] = [];

  const cli = async (...args: string[]) => {
    const finished = await run([...args, '--data', deployment.dataDir]);
    assert.equal(finished.code, 0, `gatehouse ${args.join(' ')}: ${finished.stderr}`);
    return finished.stdout;
  };
  const history = async () =>
    JSON.parse(await cli('clients', 'history', clientId, '--json')) as DocumentHistory;
  // A digest is base64url and may start with `-`: `--diff=<from>`, and `<to>` after `--`, last.
  const diff = async (from: string, to: string) => {
    const args = ['clients', 'history', clientId, `--diff=${from}`, '--json', '--data', deployment.dataDir];
    const finished = await run([...args, '--', to]);
    assert.equal(finished.code, 0, `gatehouse ${args.join(' ')} -- ${to}: ${finished.stderr}`);
    return JSON.parse(finished.stdout) as Record<string, unknown>;
  };
  const documentWith = (extra: Record<string, unknown>) => ({
    client_id: clientId,
    client_name: 'History e2e client',
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    ...extra,
  });
  /** A request that resolves the client: its stale document is fetched again in the background. */
  const use = async () => {
    const url = new URL(`${deployment.issuer}/authorize`);
    url.search = new URLSearchParams({
      client_id: clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString();
    // Not followed: an answer may redirect to the client's (unserved) callback.
    await (await deployment.fetch(url.href, { redirect: 'manual' })).text();
  };
  const versions = async (count: number) =>
    eventually(async () => {
      await use();
      const found = await history();
      assert.equal(found.versions.length, count, `${count} versions`);
      return found;
    });

  before(async () => {
    caOne = await createTestCa('Document origin CA one');
    caTwo = await createTestCa('Document origin CA two');
    origin = await startOrigin(caOne);
    clientId = `https://client.test:${origin.port}/client.json`;
    const trusted = join(directory, 'both-cas.pem');
    writeFileSync(trusted, `${caOne.certPem}\n${caTwo.certPem}`);
    deployment = await startTestDeployment(
      {
        resources: EXAMPLE_RESOURCES,
        cimd: { min_ttl_seconds: 0, refresh_cooldown_seconds: 0, fetches_per_second_per_host: 100 },
        // What `--dev-loopback-fetch --fetch-ca both-cas.pem --dev-host client.test=127.0.0.1` sets.
        fetch: { dev_loopback: true, ca_file: trusted, dev_hosts: { 'client.test': '127.0.0.1' } },
      },
      { ca: caOne },
    );
    await deployment.addUser(LOGIN.username, LOGIN.password);
    for (const kid of ['a', 'b', 'c']) keys.push(await publicKey(kid));
  });

  after(async () => {
    await deployment.close();
    await origin.close();
    rmSync(directory, { recursive: true, force: true });
  });

  let refreshToken: string;
  const as = () => discover(deployment);
  const client = (): oauth.Client => ({ client_id: clientId, token_endpoint_auth_method: 'none' });

  it('a user authorizes the client; its first version and fetch are recorded', async () => {
    origin.serve(documentWith({ jwks: { keys: [keys[0]] } }));
    const server = await as();
    const verifier = oauth.generateRandomCodeVerifier();
    const url = new URL(server.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: clientId,
      redirect_uri: 'http://127.0.0.1:53682/callback',
      response_type: 'code',
      resource: RESOURCE,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const callback = await authorizeInBrowser(new UserAgent(deployment.fetch), url, deployment.issuer, LOGIN);
    const parameters = oauth.validateAuthResponse(server, client(), callback, oauth.expectNoState);
    const tokens = await redeemCode(
      server,
      client(),
      oauth.None(),
      parameters,
      'http://127.0.0.1:53682/callback',
      verifier,
      { ...clientOptions(deployment), additionalParameters: { resource: RESOURCE } },
    );
    refreshToken = tokens.refresh_token!;
    const found = await history();
    assert.equal(found.versions.length, 1);
    assert.equal(found.host, 'client.test');
    const [first] = found.fetches.filter((fetch) => fetch.outcome === 'accepted').reverse();
    assert.equal(first!.digest, found.versions[0]!.digest);
    assert.equal(first!.remoteAddress, '127.0.0.1');
    assert.match(first!.tls!.issuer, /CN=Document origin CA one/);
    assert.match(first!.tls!.subject, /CN=client\.test/);
    assert.equal(found.hostFirstSeenAt, first!.at);
  });

  it('a key rotation, then a redirect on a new host: three versions and the exact diffs', async () => {
    origin.serve(documentWith({ jwks: { keys: [keys[1]] } }));
    await versions(2);
    origin.serve(documentWith({ jwks: { keys: [keys[1]] }, redirect_uris: [REDIRECT, NEW_HOST_REDIRECT] }));
    const found = await versions(3);
    assert.deepEqual(
      found.versions.map((version) => version.number),
      [3, 2, 1],
    );
    const thumbprint = (key: Record<string, unknown>) => ({
      thumbprint: jwkThumbprint(key)!,
      rfc7638: true,
      kid: key.kid,
      kty: 'EC',
    });
    const rotation = await diff('1', '2');
    assert.deepEqual(rotation.redirectUris, { added: [], removed: [] });
    assert.deepEqual(rotation.keys, {
      added: [thumbprint(keys[1]!)],
      removed: [thumbprint(keys[0]!)],
      kept: [],
    });
    assert.deepEqual(rotation.members, []);
    assert.equal(rotation.jwksUri, undefined);
    const redirect = await diff('2', found.versions[0]!.digest.slice(0, 10));
    assert.deepEqual(redirect.redirectUris, { added: [NEW_HOST_REDIRECT], removed: [] });
    assert.deepEqual(redirect.keys, { added: [], removed: [], kept: [thumbprint(keys[1]!)] });
    assert.deepEqual(redirect.members, []);
    // The redirect on a new host is the change policy's to hold; the operator approves it.
    const pending = JSON.parse(await cli('clients', 'pending', '--json')) as {
      holds: { clientId: string }[];
    };
    assert.ok(
      pending.holds.some((hold) => hold.clientId === clientId),
      'held for the foreign redirect',
    );
    await cli('clients', 'approve', clientId, '--note', 'the new host is theirs');
    // Approved on the running server within a poll of the change feed: the user's refresh works.
    const server = await as();
    const refreshed = await eventually(() =>
      refreshTokens(server, client(), oauth.None(), refreshToken, clientOptions(deployment)),
    );
    refreshToken = refreshed.refresh_token!;
  });

  it('the domain changes hands (another CA, new keys): drift detected, the client pending, refresh refused', async () => {
    const port = origin.port;
    await origin.close();
    origin = await startOrigin(caTwo, port);
    origin.serve(documentWith({ jwks: { keys: [keys[2]] }, redirect_uris: [REDIRECT, NEW_HOST_REDIRECT] }));
    const store = deployment.gatehouse.store;
    const [event] = await eventually(async () => {
      await use();
      const found = await store.audit.list({ type: 'client.drift_suspected', clientId });
      assert.equal(found.length, 1);
      return found;
    });
    assert.equal(event!.reason, 'certificate_and_keys');
    assert.equal(event!.actor, 'system:ownership-drift');
    const [finding] = (event!.detail as { findings: Record<string, string>[] }).findings;
    assert.match(finding!.issuer_before!, /CN=Document origin CA one/);
    assert.match(finding!.issuer_after!, /CN=Document origin CA two/);
    assert.notEqual(finding!.spki_sha256_before, finding!.spki_sha256_after);

    const pending = JSON.parse(await cli('clients', 'pending', '--json')) as {
      holds: { clientId: string; reason: string }[];
    };
    const hold = pending.holds.find((candidate) => candidate.clientId === clientId);
    assert.match(
      hold?.reason ?? '',
      /^the client's domain may have changed hands: the TLS certificate changed issuer/,
    );
    const found = await history();
    assert.equal(found.versions.length, 4);
    assert.match(found.fetches[0]!.tls!.issuer, /CN=Document origin CA two/);
    const keysChanged = await diff('3', '4');
    assert.equal((keysChanged.keys as { added: unknown[] }).added.length, 1);

    await assert.rejects(
      refreshTokens(await as(), client(), oauth.None(), refreshToken, clientOptions(deployment)),
      (error: unknown) => error instanceof oauth.ResponseBodyError && error.error === 'unauthorized_client',
    );
  });
});
