/**
 * Document freshness end to end (issue #14, item 5): Gatehouse as `gatehouse serve` runs it (SQLite,
 * TLS on loopback), a real client (oauth4webapi) with a Client ID Metadata Document on the test
 * network, and the operator's commands as a separate `gatehouse` process on the same database.
 *
 * - The origin goes down after a successful fetch: authorizations and refreshes keep working on
 *   the last good document within `cimd.stale_if_error_seconds` past its expiry, audited once, and
 *   stop after it (decision 0035). The grace here is seconds, so this test waits on the wall clock;
 *   the same behaviour is tested on the test clock in packages/server/test/document-stale-if-error.test.ts.
 * - `gatehouse clients refresh` picks up an edited document on the running server within 2 s;
 *   `gatehouse clients evict` makes its next use fetch the document again.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { run } from '../../packages/cli/test/support/cli-process.ts';
import { authorizeInBrowser } from '../support/authorize-in-browser.ts';
import { discover } from '../support/discover.ts';
import type { TestDeployment } from '../support/gatehouse-over-tls.ts';
import { authorizationUrl, LOGIN, type McpDeployment, startMcpDeployment } from '../support/mcp-stand-in.ts';
import { type ClientOptions, clientOptions, redeemCode, refreshTokens } from '../support/oauth-client.ts';
import type { TestHost } from '../support/test-hosts.ts';
import { UserAgent } from '../support/user-agent.ts';

const GRACE_SECONDS = 5;
const sleepUntil = (time: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));

/** Retries `check` until it passes, for at most 2.5 s (the change feed is polled every second). */
async function eventually(check: () => Promise<void>): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() - started > 2500) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('document freshness end to end', () => {
  let mcp: McpDeployment;
  let host: TestHost;
  let deployment: TestDeployment;
  let mcpResource: string;
  let options: ClientOptions;
  /** The operator's `gatehouse`, fetching as the server does (the development switches). */
  const cli = (...args: string[]) =>
    run([
      ...args,
      '--data',
      deployment.dataDir,
      '--dev-loopback-fetch',
      '--fetch-ca',
      join(deployment.dataDir, '..', 'ca.pem'),
      '--dev-host',
      'client.test=127.0.0.1',
    ]);

  /** A document at `path` on client.test, fresh for `maxAge` seconds. */
  function publish(path: string, redirectUris: string[], maxAge = 1) {
    const clientId = `${host.origin('client.test')}${path}`;
    host.json(
      path,
      {
        client_id: clientId,
        client_name: `Freshness ${path}`,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
      { 'cache-control': `max-age=${maxAge}` },
    );
    return clientId;
  }

  /** A whole authorization code flow for `clientId` with oauth4webapi; its token response. */
  async function authorize(clientId: string, redirectUri: string) {
    const as = await discover(deployment);
    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
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
    return redeemCode(as, client, oauth.None(), parameters, redirectUri, verifier, {
      ...options,
      additionalParameters: { resource: mcpResource },
    });
  }

  before(async () => {
    mcp = await startMcpDeployment(
      {
        cimd: {
          min_ttl_seconds: 1,
          stale_if_error_seconds: GRACE_SECONDS,
          // The default cooldown (30 s): a redirect_uri missing from the cached document does not
          // re-fetch it at once, so only the refresh command can bring the new one in time.
          fetches_per_second_per_host: 100,
        },
      },
      ['client.test', 'mcp.test'],
    );
    ({ host, deployment, mcpResource } = mcp);
    options = clientOptions(deployment);
  });

  after(() => mcp.close());

  it('the origin down after a successful fetch: flows keep working within the grace and stop after it', async () => {
    const redirectUri = 'http://127.0.0.1:53682/callback';
    const clientId = publish('/down.json', [redirectUri]);
    const as = await discover(deployment);
    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
    let refreshToken = (await authorize(clientId, redirectUri)).refresh_token;
    assert.ok(refreshToken);
    const store = deployment.gatehouse.store;
    const version = await store.clientDocuments.latest(clientId);
    const expiresAt = Number(version?.headers['x-gatehouse-expires-at']);
    const graceEnds = Number(version?.headers['x-gatehouse-stale-if-error-until']);
    assert.equal(graceEnds - expiresAt, GRACE_SECONDS * 1000);

    host.route('/down.json', (_request, response) => void response.writeHead(503).end());
    await sleepUntil(expiresAt + 100);
    const hits = host.hits('/down.json');
    const refresh = async () => {
      refreshToken = (await refreshTokens(as, client, oauth.None(), refreshToken!, options)).refresh_token;
      assert.ok(refreshToken);
    };
    // The first request past expiry is answered at once and asks the origin in the background
    // (stale-while-revalidate); the origin's 503 keeps the last good document (stale-if-error).
    await refresh();
    await eventually(async () => {
      await refresh();
      assert.ok(host.hits('/down.json') > hits, 'the origin was asked again');
      assert.equal((await store.documentFreshness.get(clientId))?.stale?.reason, 'status_not_200');
    });
    assert.ok((await authorize(clientId, redirectUri)).access_token, 'a whole new authorization');
    assert.ok(Date.now() < graceEnds, 'all of it within the grace (a slow machine would need a longer one)');
    assert.equal((await store.documentFreshness.get(clientId))?.stale?.until, graceEnds);
    assert.equal((await store.audit.list({ type: 'client.document_stale', clientId })).length, 1);

    await sleepUntil(graceEnds + 100);
    await assert.rejects(
      refresh(),
      (error: oauth.ResponseBodyError) => error.status === 401 && error.error === 'invalid_client',
    );
    const page = await deployment.fetch(
      authorizationUrl(as.authorization_endpoint!, {
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      }).href,
      { redirect: 'manual' },
    );
    assert.equal(page.status, 400, 'the error page: the document could not be used');
    await page.body?.cancel();
  });

  it('`gatehouse clients refresh` reaches the running server; `clients evict` makes the next use fetch', async () => {
    const first = 'http://127.0.0.1:53683/callback';
    // Fresh for an hour: the running server would not fetch it again on its own during the test.
    const clientId = publish('/edited.json', [first], 3600);
    // A redirect URI added on the client_id's own host: the change policy keeps it (a foreign host
    // would hold the client).
    const added = `${host.origin('client.test')}/landing`;
    assert.ok((await authorize(clientId, first)).access_token);
    host.json(
      '/edited.json',
      {
        client_id: clientId,
        client_name: 'Freshness /edited.json',
        redirect_uris: [first, added],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
      { 'cache-control': 'max-age=3600' },
    );
    const refreshed = await cli('clients', 'refresh', clientId, '--json');
    assert.equal(refreshed.code, 0, `${refreshed.stdout} ${refreshed.stderr}`);
    assert.equal((JSON.parse(refreshed.stdout) as { outcome: string }).outcome, 'changed');
    const fetched = host.hits('/edited.json');
    await eventually(async () => {
      assert.ok((await authorize(clientId, added)).access_token, 'the running server uses the new version');
    });
    assert.equal(host.hits('/edited.json'), fetched, 'taken from the store, not fetched again');

    const evicted = await cli('clients', 'evict', clientId);
    assert.equal(evicted.code, 0, evicted.stderr);
    await eventually(async () => {
      assert.ok((await authorize(clientId, added)).access_token);
      assert.ok(host.hits('/edited.json') > fetched, 'fetched anew at its next use');
    });
  });
});
