/**
 * DPoP (RFC 9449) across four Gatehouse instances on one PostgreSQL schema (issue #6, AT-11;
 * docs/dpop.md): the nonce secret is one server secret that the first instance to start writes and
 * every other reads, so a nonce any instance hands out is accepted by all; and a proof's jti is
 * remembered in the shared replay store, so one proof fired at all four at once succeeds once.
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { s256 } from '@gatehouse-oauth/core';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { contextOf } from '../../server/test/support/server-internals.ts';
import {
  CLIENT_ID,
  type Cluster,
  type Instance,
  ISSUER,
  REDIRECT,
  RESOURCE,
  startCluster,
  VERIFIER,
} from './support/instances.ts';
import { postgresForTests } from './support/postgres-server.ts';

const { postgres, skip } = await postgresForTests();

const INSTANCES = 4;
const RACERS = 40;

const key = await generateKeyPair('ES256', { extractable: true });
const jwk: JWK = await exportJWK(key.publicKey);
const jkt = await calculateJwkThumbprint(jwk, 'sha256');

async function proof(cluster: Cluster, htu: string, nonce: string | undefined, jti = randomUUID()) {
  return new SignJWT({
    htm: 'POST',
    htu,
    iat: Math.floor(cluster.now() / 1000),
    jti,
    ...(nonce === undefined ? {} : { nonce }),
  })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
    .sign(key.privateKey);
}

function form(instance: Instance, path: string, params: Record<string, string>, dpop: string) {
  return instance.send(`${ISSUER}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', dpop },
    body: new URLSearchParams(params).toString(),
  });
}

const pushParams = {
  client_id: CLIENT_ID,
  redirect_uri: REDIRECT,
  response_type: 'code',
  resource: RESOURCE,
  scope: 'mcp:tools',
  code_challenge: s256(VERIFIER),
  code_challenge_method: 'S256',
};

describe(`DPoP over ${INSTANCES} instances on one PostgreSQL`, { skip }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({
      connectionString: postgres!.connectionString,
      schema: 'dpop',
      count: INSTANCES,
      poolSize: 5,
    });
  });
  after(async () => {
    await cluster?.close();
    await postgres?.stop();
  });

  it('every instance derives its nonces from the one shared secret (first writer wins)', async () => {
    // All four start at once, as a rolling deployment's instances would: one secret for all.
    const nonces = await Promise.all(
      cluster.instances.map((instance) => contextOf(instance.server).dpop.nonces()),
    );
    const current = new Set(nonces.map((nonces) => nonces!.current(cluster.now())));
    assert.equal(current.size, 1);
  });

  it('a nonce minted by one instance is accepted by all four', async () => {
    const minted = await form(
      cluster.instances[0]!,
      '/par',
      pushParams,
      await proof(cluster, `${ISSUER}/par`, undefined),
    );
    assert.equal(minted.status, 400);
    assert.equal(((await minted.json()) as { error: string }).error, 'use_dpop_nonce');
    const nonce = minted.headers.get('dpop-nonce');
    assert.ok(nonce !== null);
    cluster.advance(30_000);
    for (const instance of cluster.instances) {
      const pushed = await form(instance, '/par', pushParams, await proof(cluster, `${ISSUER}/par`, nonce));
      assert.equal(pushed.status, 201, await pushed.clone().text());
    }
    // And a whole DPoP code exchange on another instance, with that nonce: the token is bound.
    const code = await cluster.authorizationCode(1);
    const tokens = await form(
      cluster.instances[3]!,
      '/token',
      cluster.redeemParams(code),
      await proof(cluster, `${ISSUER}/token`, nonce),
    );
    const body = (await tokens.json()) as { token_type: string; access_token: string };
    assert.equal(tokens.status, 200, JSON.stringify(body));
    assert.equal(body.token_type, 'DPoP');
    assert.deepEqual(decodeJwt(body.access_token).cnf, { jkt });
  });

  it(`one proof sent ${RACERS} times at once over ${INSTANCES} instances succeeds exactly once`, async () => {
    const nonce = (await contextOf(cluster.instances[2]!.server).dpop.nonces())!.current(cluster.now());
    const once = await proof(cluster, `${ISSUER}/par`, nonce);
    const responses = await Promise.all(
      Array.from({ length: RACERS }, (_, index) =>
        form(cluster.instances[index % INSTANCES]!, '/par', pushParams, once),
      ),
    );
    const answers = await Promise.all(
      responses.map(async (response) => ({
        status: response.status,
        body: (await response.json()) as { error?: string },
      })),
    );
    assert.equal(answers.filter((answer) => answer.status === 201).length, 1, 'exactly one success');
    const refused = answers.filter((answer) => answer.status !== 201);
    assert.deepEqual(
      new Set(refused.map((answer) => `${answer.status} ${answer.body.error}`)),
      new Set(['400 invalid_dpop_proof']),
    );
  });
});
