/**
 * `gatehouse clients remove` in its own process against the SQLite file a running server uses (two
 * processes on one database): the removal cascades through the one client lifecycle, is audited
 * with the operating system user as actor, and the running server forgets the client within
 * 2 seconds through the client change feed (issue #12).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { s256 } from '@gatehouse-oauth/core';
import type { SafeFetch } from '@gatehouse-oauth/safe-fetch';
import { createAuthorizationServer, openSqliteStore } from '@gatehouse-oauth/server';
import { CIMD_URL, cimdDocument, stubDocuments } from '../../server/test/support/stub-documents.ts';
import { run } from './support/cli-process.ts';

const ISSUER = 'https://as.example.test';
const REDIRECT = 'https://app.example.test/callback';

describe('gatehouse clients remove beside a running server (one SQLite file)', () => {
  const data = mkdtempSync(join(tmpdir(), 'gatehouse-remove-'));
  after(() => rmSync(data, { recursive: true, force: true }));

  it('cascades, is audited with its actor, and the server forgets the client within 2 s', async () => {
    const store = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    const documents = stubDocuments();
    documents.publish(CIMD_URL, cimdDocument({ redirect_uris: [REDIRECT] }));
    let fetches = 0;
    const outboundFetch: SafeFetch = (url, init) => {
      fetches++;
      return documents.fetch(url, init);
    };
    const server = createAuthorizationServer({ issuer: ISSUER, store, outboundFetch });
    const authorize = () =>
      server.fetch(
        new Request(
          `${ISSUER}/authorize?${new URLSearchParams({
            client_id: CIMD_URL,
            redirect_uri: REDIRECT,
            response_type: 'code',
            code_challenge: s256('a-verifier-of-enough-length-for-pkce-0123456789'),
            code_challenge_method: 'S256',
          })}`,
        ),
      );
    try {
      assert.equal((await authorize()).status, 303);
      assert.equal(fetches, 1);

      const removed = await run(['clients', 'remove', CIMD_URL, '--data', data]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stdout, /^removed client https:\/\/client\.example\.test\/oauth\/client\.json;/);
      const [event, ...more] = await store.audit.list({ type: 'client.removed' });
      assert.equal(more.length, 0);
      assert.match(event!.actor ?? '', /^cli(:|$)/);
      assert.equal(event!.reason, 'operator');

      const started = Date.now();
      while (fetches === 1 && Date.now() - started < 2000) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        await authorize();
      }
      assert.equal(fetches, 2, 'the running server fetched the document again within 2 s');

      const again = await run(['clients', 'remove', 'no-such-client', '--data', data]);
      assert.equal(again.code, 2);
      assert.match(again.stderr, /no client no-such-client/);
    } finally {
      await server.stop();
      await store.close();
    }
  });
});
