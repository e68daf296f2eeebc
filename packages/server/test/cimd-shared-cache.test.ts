/**
 * The shared second level of the CIMD cache: instances sharing one store serve a document another
 * instance fetched (the version it recorded, with its freshness) until it expires, with no fetch of
 * their own; each instance still fetches at most once at a time per client_id.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { s256 } from '@gatehouse-oauth/core';
import { createAuthorizationServer } from '../src/index.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './support/stub-documents.ts';
import { APP_REDIRECT, ISSUER, RESOURCE, VERIFIER } from './support/test-server.ts';

describe('CIMD second-level cache in the store', () => {
  it('a document fetched by one instance serves the others until it expires', async () => {
    let now = Date.UTC(2026, 10, 23, 12, 0, 0);
    const store = createMemoryStore();
    const documents = stubDocuments();
    documents.publish(CIMD_URL, cimdDocument());
    const [a, b] = [0, 1].map(() =>
      createAuthorizationServer({
        issuer: ISSUER,
        store,
        clock: () => now,
        outboundFetch: documents.fetch,
        resources: [{ uri: RESOURCE, scopes: ['mcp:tools'] }],
      }),
    ) as [ReturnType<typeof createAuthorizationServer>, ReturnType<typeof createAuthorizationServer>];
    const url = new URL(`${ISSUER}/authorize`);
    for (const [name, value] of Object.entries({
      client_id: CIMD_URL,
      redirect_uri: APP_REDIRECT,
      response_type: 'code',
      resource: RESOURCE,
      code_challenge: s256(VERIFIER),
      code_challenge_method: 'S256',
    }))
      url.searchParams.set(name, value);
    /** The client resolved: the flow goes on to the login page (an unresolved client is a 400 page). */
    const resolves = async (server: typeof a) => {
      const response = await server.fetch(new Request(url));
      await response.body?.cancel();
      return response.status < 400;
    };

    assert.ok(await resolves(a));
    assert.equal(documents.fetches(CIMD_URL), 1, 'A fetched it');
    assert.ok(await resolves(b));
    assert.ok(await resolves(b));
    assert.equal(documents.fetches(CIMD_URL), 1, 'B used the version A recorded');

    // The stub sends no caching headers: fresh for the minimum TTL (5 min), then fetched again.
    now += 301_000;
    const together = await Promise.all([1, 2, 3, 4, 5].map(() => resolves(b)));
    assert.ok(together.every(Boolean));
    assert.equal(documents.fetches(CIMD_URL), 2, 'B fetched it once (single-flight per instance)');
    assert.ok(await resolves(a));
    assert.equal(documents.fetches(CIMD_URL), 2, 'A, whose own copy expired, used the version B recorded');
    assert.equal((await store.clientDocuments.history(CIMD_URL)).length, 1, 'one version, recorded once');
  });
});
