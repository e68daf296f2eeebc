/**
 * Four Gatehouse instances, each with its own pool, on one PostgreSQL schema behind one issuer
 * (./support/instances.ts), racing through the HTTP endpoints: a code, a refresh token and a pushed
 * request_uri are each used once whichever instances the 200 requests land on, and a key rotated through one store
 * is used by all of them once their key rings refresh. (A DPoP or assertion jti remembered from
 * several pools is covered by the contract race in postgres-store.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { s256 } from '@gatehouse-oauth/core';
import { refreshTokenDigest, rotateSigningKey } from '@gatehouse-oauth/server';
import { decodeProtectedHeader } from 'jose';
import {
  CLIENT_ID,
  type Cluster,
  ISSUER,
  REDIRECT,
  RESOURCE,
  startCluster,
  VERIFIER,
} from './support/instances.ts';
import { postgresForTests } from './support/postgres-server.ts';

const { postgres, skip } = await postgresForTests();

const INSTANCES = 4;
const RACERS = 200;

interface Answer {
  status: number;
  body: { error?: string; access_token?: string; refresh_token?: string };
}

async function answer(response: Promise<Response>): Promise<Answer> {
  const settled = await response;
  return { status: settled.status, body: (await settled.json()) as Answer['body'] };
}

/** Fires `count` requests at once, request i to instance i mod 4. */
function race(cluster: Cluster, count: number, params: Record<string, string>): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      answer(cluster.instances[index % cluster.instances.length]!.token(params)),
    ),
  );
}

function refresh(refreshToken: string): Record<string, string> {
  return { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT_ID };
}

describe(`${INSTANCES} instances on one PostgreSQL`, { skip }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({
      connectionString: postgres!.connectionString,
      schema: 'multi',
      count: INSTANCES,
      poolSize: 10,
      // No grace: the one rotation that wins is the only success (RefreshTokenStore.rotate).
      server: { lifetimes: { refreshGraceSeconds: 0 } },
    });
  });
  after(async () => {
    await cluster?.close();
    await postgres?.stop();
  });

  it(`${RACERS} concurrent redemptions of one code over ${INSTANCES} instances: one success, and reuse revokes it`, async () => {
    const code = await cluster.authorizationCode(0);
    const answers = await race(cluster, RACERS, cluster.redeemParams(code));

    const winners = answers.filter((a) => a.status === 200);
    assert.equal(winners.length, 1, 'exactly one redemption succeeds');
    const losers = answers.filter((a) => a.status !== 200);
    assert.deepEqual(
      new Set(losers.map((a) => `${a.status} ${a.body.error}`)),
      new Set(['400 invalid_grant']),
    );

    // RFC 6749 §4.1.2: a code used twice revokes what it produced, even if the losers arrived before
    // the winner had written its token family (the store keeps the revocation as a tombstone).
    const winner = winners[0]!.body.refresh_token;
    assert.ok(winner !== undefined);
    const after = await answer(cluster.instances[3]!.token(refresh(winner)));
    assert.deepEqual([after.status, after.body.error], [400, 'invalid_grant']);
  });

  it(`${RACERS} concurrent uses of one refresh token over ${INSTANCES} instances: exactly one succeeds`, async () => {
    const tokens = await answer(
      cluster.instances[1]!.token(cluster.redeemParams(await cluster.authorizationCode(1))),
    );
    assert.equal(tokens.status, 200);
    const presented = tokens.body.refresh_token!;
    const familyId = (await cluster.instances[0]!.store.refreshTokens.get(refreshTokenDigest(presented)))!
      .familyId;
    const answers = await race(cluster, RACERS, refresh(presented));

    assert.ok(
      answers.every((a) => a.status === 200 || (a.status === 400 && a.body.error === 'invalid_grant')),
      JSON.stringify(answers.filter((a) => a.status !== 200 && a.status !== 400)),
    );
    // With no grace window, exactly one racer rotates; every other use is reuse, and reuse revokes
    // the family, so even the winner's new token is dead afterwards (RFC 9700 §4.14.2).
    assert.equal(answers.filter((a) => a.status === 200).length, 1, 'exactly one rotation');
    const issued = (await cluster.instances[2]!.store.audit.list({ type: 'token.issued' })).filter(
      (event) => event.detail?.family_id === familyId && event.detail.grant_type === 'refresh_token',
    );
    assert.equal(issued.length, 1, 'one token issued');
    const winner = answers.find((a) => a.status === 200)!.body.refresh_token!;
    const after = await answer(cluster.instances[0]!.token(refresh(winner)));
    assert.deepEqual([after.status, after.body.error], [400, 'invalid_grant']);
  });

  it(`${RACERS} browsers racing for one pushed request_uri over ${INSTANCES} instances: exactly one proceeds`, async () => {
    const pushed = await cluster.instances[0]!.send(`${ISSUER}/par`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: CLIENT_ID,
        redirect_uri: REDIRECT,
        response_type: 'code',
        resource: RESOURCE,
        scope: 'mcp:tools',
        code_challenge: s256(VERIFIER),
        code_challenge_method: 'S256',
      }).toString(),
    });
    assert.equal(pushed.status, 201);
    const { request_uri } = (await pushed.json()) as { request_uri: string };
    const url = `${ISSUER}/authorize?${new URLSearchParams({ client_id: CLIENT_ID, request_uri })}`;
    // Each request is its own browser (no cookies): RFC 9126 §4, a request_uri is used once.
    const responses = await Promise.all(
      Array.from({ length: RACERS }, (_, index) => cluster.instances[index % INSTANCES]!.send(url)),
    );
    const proceeded = responses.filter((response) => response.status === 303);
    assert.equal(proceeded.length, 1, 'exactly one browser proceeds');
    assert.match(proceeded[0]!.headers.get('location') ?? '', /\/interaction\//);
    const refused = responses.filter((response) => response.status === 400);
    assert.equal(refused.length, RACERS - 1);
    for (const response of refused)
      assert.equal(response.headers.get('location'), null, 'refusals never redirect');
  });

  it('a key rotated through one store is used by every instance once its key ring refreshes', async () => {
    const tokens = await answer(
      cluster.instances[2]!.token(cluster.redeemParams(await cluster.authorizationCode(2))),
    );
    assert.equal(tokens.status, 200);
    let current = tokens.body.refresh_token!;
    /** The kid each instance signs with now, through a chain of refreshes (one per instance). */
    const signingKids = async () => {
      const kids: string[] = [];
      for (const instance of cluster.instances) {
        const refreshed = await answer(instance.token(refresh(current)));
        assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
        current = refreshed.body.refresh_token!;
        kids.push(decodeProtectedHeader(refreshed.body.access_token!).kid!);
      }
      return kids;
    };
    const before = await signingKids();
    assert.equal(new Set(before).size, 1, 'every instance signs with the same key');

    const rotated = await rotateSigningKey(cluster.instances[0]!.store.signingKeys, cluster.now());
    // Key rings re-read the store every 60 s (keys/signing-keys.ts): past that, every instance signs
    // with the new key and publishes it, without a restart.
    cluster.advance(61_000);
    assert.deepEqual(await signingKids(), Array(INSTANCES).fill(rotated.kid));
    for (const instance of cluster.instances) {
      const jwks = (await (await instance.send('https://as.example.test/jwks')).json()) as {
        keys: Array<{ kid: string }>;
      };
      assert.deepEqual(jwks.keys.map((key) => key.kid).sort(), [before[0]!, rotated.kid].sort());
    }
  });
});
