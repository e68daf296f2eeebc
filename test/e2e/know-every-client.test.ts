/**
 * Issue #14 end to end over TLS: a Client ID Metadata Document client used by two users from two
 * installations (two redirect URIs), driven by oauth4webapi against `gatehouse serve`; the operator,
 * in a separate `gatehouse` process on the same SQLite file, reads its blast radius for the client
 * and for its domain (exact counts), revokes after the dry run (every refresh token then fails), and
 * reads the audit log for the client, newest first, with who did what. (The document's history with
 * its value-level diffs and the ownership-drift scenario with two CAs are test/e2e/document-history.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { run } from '../../packages/cli/test/support/cli-process.ts';
import { authorizeInBrowser } from '../support/authorize-in-browser.ts';
import { discover } from '../support/discover.ts';
import { authorizationUrl, LOGIN, type McpDeployment, startMcpDeployment } from '../support/mcp-stand-in.ts';
import { clientOptions, redeemCode, refreshTokens } from '../support/oauth-client.ts';
import { UserAgent } from '../support/user-agent.ts';

const BOB = { username: 'bob', password: 'another correct horse battery staple' };
const INSTALLATIONS = ['https://app.client.test/laptop/callback', 'https://app.client.test/desktop/callback'];

interface Reach {
  clients: string[];
  usersWithLiveGrants: number;
  installations: number;
  grants: number;
  liveFamilies: number;
  accessTokensLastHour: number;
}

describe('know every client: blast radius, revoke after a dry run, the audit trail (end to end)', () => {
  let mcp: McpDeployment;
  let clientId: string;
  const refreshTokensHeld: string[] = [];
  const gatehouse = async (...args: string[]) => {
    const finished = await run([...args, '--data', mcp.deployment.dataDir]);
    assert.equal(finished.code, 0, `gatehouse ${args.join(' ')}: ${finished.stderr}`);
    return finished.stdout;
  };

  before(async () => {
    mcp = await startMcpDeployment({ cimd: { refresh_cooldown_seconds: 0 } }, ['client.test', 'mcp.test']);
    await mcp.deployment.addUser(BOB.username, BOB.password);
    clientId = `${mcp.host.origin('client.test')}/known.json`;
    mcp.host.json('/known.json', {
      client_id: clientId,
      client_name: 'Known client',
      redirect_uris: INSTALLATIONS,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
  });

  after(() => mcp?.close());

  it('two users, each from two installations, hold four sessions', async () => {
    const { deployment, mcpResource } = mcp;
    const as = await discover(deployment);
    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
    for (const login of [LOGIN, BOB]) {
      for (const redirectUri of INSTALLATIONS) {
        const verifier = oauth.generateRandomCodeVerifier();
        const url = authorizationUrl(as.authorization_endpoint!, {
          client_id: clientId,
          redirect_uri: redirectUri,
          response_type: 'code',
          resource: mcpResource,
          code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        });
        const callback = await authorizeInBrowser(
          new UserAgent(deployment.fetch),
          url,
          deployment.issuer,
          login,
        );
        const parameters = oauth.validateAuthResponse(as, client, callback, oauth.expectNoState);
        const tokens = await redeemCode(as, client, oauth.None(), parameters, redirectUri, verifier, {
          ...clientOptions(deployment),
          additionalParameters: { resource: mcpResource },
        });
        refreshTokensHeld.push(tokens.refresh_token!);
      }
    }
    assert.equal(refreshTokensHeld.length, 4);
  });

  it('the blast radius of the client and of its domain gives the exact counts (a dry run changes nothing)', async () => {
    const ofClient = JSON.parse(await gatehouse('clients', 'blast-radius', clientId, '--json')) as Reach;
    const ofDomain = JSON.parse(
      await gatehouse('clients', 'blast-radius', '--domain', 'client.test', '--json'),
    ) as Reach;
    for (const reach of [ofClient, ofDomain]) {
      assert.deepEqual(reach.clients, [clientId]);
      assert.equal(reach.usersWithLiveGrants, 2);
      assert.equal(reach.grants, 4, 'one grant per user and installation');
      assert.equal(reach.liveFamilies, 4);
      assert.equal(reach.accessTokensLastHour, 4);
    }
    // Still a dry run: every session works.
    const as = await discover(mcp.deployment);
    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
    const rotated = await refreshTokens(
      as,
      client,
      oauth.None(),
      refreshTokensHeld[0]!,
      clientOptions(mcp.deployment),
    );
    refreshTokensHeld[0] = rotated.refresh_token!;
  });

  it('--revoke after the dry run: every refresh token of the client fails', async () => {
    await gatehouse('clients', 'blast-radius', clientId, '--revoke');
    const after = JSON.parse(await gatehouse('clients', 'blast-radius', clientId, '--json')) as Reach;
    assert.equal(after.liveFamilies, 0);
    assert.equal(after.usersWithLiveGrants, 0);
    const as = await discover(mcp.deployment);
    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
    for (const refreshToken of refreshTokensHeld) {
      await assert.rejects(
        refreshTokens(as, client, oauth.None(), refreshToken, clientOptions(mcp.deployment)),
        (error: oauth.ResponseBodyError) => error.error === 'invalid_grant',
      );
    }
  });

  it('the audit query for the client returns those events newest first, each with who did it', async () => {
    const events = JSON.parse(await gatehouse('audit', '--client', clientId, '--json')) as {
      type: string;
      at: number;
      actor?: string;
      userId?: string;
    }[];
    for (let index = 1; index < events.length; index++)
      assert.ok(events[index - 1]!.at >= events[index]!.at, 'newest first');
    const revocation = events.find((event) => event.type === 'blast_radius.revoked');
    assert.ok(
      revocation,
      `a blast_radius.revoked event among ${events.map((event) => event.type).join(', ')}`,
    );
    assert.match(revocation.actor ?? '', /^cli:/);
    assert.ok(events.indexOf(revocation) < events.findIndex((event) => event.type === 'token.issued'));
    const issued = events.filter((event) => event.type === 'token.issued');
    assert.equal(issued.length, 5, 'four code exchanges and one refresh');
    assert.equal(new Set(issued.map((event) => event.userId)).size, 2);
    assert.ok(events.every((event) => event.type !== 'consent.granted' || event.actor === undefined));
  });
});
