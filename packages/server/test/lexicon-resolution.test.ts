/**
 * Lexicon permission sets resolved and cached (AT-16, decision 0037): the default resolver's steps
 * (DNS TXT → DID document → the PDS's schema record) through a stub of the hardened fetcher and an
 * injected TXT lookup, each failure said in fixed words; the cache's TTL, re-resolution at use,
 * the last good set kept while re-resolution fails, the cooldown of a set that never resolved, and
 * one resolution per NSID at a time. The real fetcher over TLS is in test/e2e/atproto-permissions.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { P256Keypair } from '@atproto/crypto';
import { createLexiconResolver, lexiconDnsName } from '../src/lexicon/lexicon-resolver.ts';
import { LexiconUnresolved } from '../src/lexicon/lexicon-unresolved.ts';
import { createPermissionSetCache, PermissionSetUnavailable } from '../src/lexicon/permission-set-cache.ts';
import { silentLogger } from '../src/logger.ts';
import {
  CALENDAR,
  CALENDAR_DID,
  CALENDAR_KEY,
  CALENDAR_PDS,
  calendarLexicon,
  calendarTxt,
  didDocument,
  PLC_DIRECTORY,
  publishCalendar,
  recordUrl,
  signedRecord,
} from './support/lexicons.ts';
import { stubDocuments } from './support/stub-documents.ts';

function resolverOn(documents: ReturnType<typeof stubDocuments>) {
  return createLexiconResolver({
    fetch: documents.fetch,
    plcDirectory: PLC_DIRECTORY,
    resolveTxt: calendarTxt,
  });
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LexiconUnresolved, String(error));
    return error.message;
  }
  assert.fail('expected a rejection');
}

describe('the default Lexicon resolver (DNS, DID, PDS)', () => {
  it('reads the authority from the reversed NSID', () => {
    assert.equal(lexiconDnsName('test.example.calendar.basic'), '_lexicon.calendar.example.test');
    assert.equal(lexiconDnsName('app.bsky.feed.post'), '_lexicon.feed.bsky.app');
  });

  it('returns the schema record the DID document’s PDS holds, signed by the DID’s key', async () => {
    const documents = stubDocuments();
    await publishCalendar(documents);
    assert.deepEqual(await resolverOn(documents)(CALENDAR), calendarLexicon());
    assert.equal(
      documents.fetches(recordUrl(CALENDAR)),
      1,
      'read with its proof: com.atproto.sync.getRecord',
    );
  });

  it('refuses a record its publisher did not sign, or a proof without it', async () => {
    const documents = stubDocuments();
    const resolve = resolverOn(documents);
    // A PDS (or anyone on the way) that serves a set of its own, signed by another key.
    await publishCalendar(documents, calendarLexicon(), await P256Keypair.create());
    assert.equal(
      await failure(resolve(CALENDAR)),
      `the Lexicon record of ${CALENDAR} is not signed by its publisher ${CALENDAR_DID}`,
    );
    // A genuine proof of another record: the set is not in it.
    documents.publish(
      recordUrl(CALENDAR),
      await signedRecord(CALENDAR_DID, 'test.example.calendar.other', calendarLexicon(), CALENDAR_KEY),
    );
    assert.equal(
      await failure(resolve(CALENDAR)),
      `the publisher ${CALENDAR_DID} has no Lexicon record of ${CALENDAR}`,
    );
    // The record of another repository, signed by its own key: the commit names another DID.
    const stranger = await P256Keypair.create();
    documents.publish(
      recordUrl(CALENDAR),
      await signedRecord('did:web:other.example.test', CALENDAR, calendarLexicon(), stranger),
    );
    assert.equal(
      await failure(resolve(CALENDAR)),
      `the Lexicon record of ${CALENDAR} is not signed by its publisher ${CALENDAR_DID}`,
    );
  });

  it('reads did:web documents at the host’s well-known path', async () => {
    const documents = stubDocuments();
    const did = 'did:web:calendar.example.test';
    const document = didDocument(did, CALENDAR_PDS, CALENDAR_KEY);
    documents.publish('https://calendar.example.test/.well-known/did.json', {
      ...document,
      service: [{ ...document.service[0], id: `${did}#atproto_pds` }],
    });
    documents.publish(
      recordUrl(CALENDAR, did),
      await signedRecord(did, CALENDAR, calendarLexicon(), CALENDAR_KEY),
    );
    const resolve = createLexiconResolver({
      fetch: documents.fetch,
      plcDirectory: PLC_DIRECTORY,
      resolveTxt: async () => [['did=', did]],
    });
    assert.deepEqual(await resolve(CALENDAR), calendarLexicon());
  });

  it('says which step failed, in fixed words', async () => {
    const documents = stubDocuments();
    const resolve = resolverOn(documents);
    assert.equal(await failure(resolve('not an nsid')), 'not an nsid is not an NSID');
    assert.equal(
      await failure(resolve('test.example.other.set')),
      'no DNS TXT record at _lexicon.other.example.test',
    );
    assert.match(
      await failure(resolve(CALENDAR)),
      /^the DID document of did:plc:calendarpublisheraaaaaaa could not be used: it answered with a status other than 200$/,
    );
    documents.publish(`${PLC_DIRECTORY}/${encodeURIComponent(CALENDAR_DID)}`, {
      id: CALENDAR_DID,
      service: [],
    });
    assert.equal(
      await failure(resolve(CALENDAR)),
      `the DID document of ${CALENDAR_DID} names no https AT Protocol PDS`,
    );
    documents.publish(`${PLC_DIRECTORY}/${encodeURIComponent(CALENDAR_DID)}`, {
      ...didDocument(CALENDAR_DID, CALENDAR_PDS, CALENDAR_KEY),
      verificationMethod: [],
    });
    assert.equal(
      await failure(resolve(CALENDAR)),
      `the DID document of ${CALENDAR_DID} names no atproto signing key`,
    );
    await publishCalendar(documents);
    documents.publish(recordUrl(CALENDAR), new TextEncoder().encode('not a CAR file'));
    assert.equal(
      await failure(resolve(CALENDAR)),
      `the Lexicon record of ${CALENDAR} is not signed by its publisher ${CALENDAR_DID}`,
    );
    const several = createLexiconResolver({
      fetch: documents.fetch,
      plcDirectory: PLC_DIRECTORY,
      resolveTxt: async () => [
        ['did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'],
        ['did=did:plc:bbbbbbbbbbbbbbbbbbbbbbbb'],
      ],
    });
    assert.match(await failure(several(CALENDAR)), /name several DIDs$/);
    const web = createLexiconResolver({
      fetch: documents.fetch,
      plcDirectory: PLC_DIRECTORY,
      resolveTxt: async () => [['did=did:web:localhost%3A8443']],
    });
    assert.match(await failure(web(CALENDAR)), /is not a did:plc or did:web this server resolves$/);
  });
});

describe('the permission set cache', () => {
  function cacheOf(resolve: (nsid: string) => Promise<unknown>) {
    let now = 1_000_000;
    const cache = createPermissionSetCache({
      resolve,
      clock: () => now,
      logger: silentLogger,
      ttlSeconds: 3600,
    });
    const advance = (seconds: number) => {
      now += seconds * 1000;
    };
    return { cache, advance };
  }

  it('uses a set for its TTL, then resolves it again at its next use', async () => {
    let calls = 0;
    let title = 'first';
    const { cache, advance } = cacheOf(async () => {
      calls++;
      const lexicon = calendarLexicon();
      lexicon.defs.main.title = title;
      return lexicon;
    });
    assert.equal((await cache.get(CALENDAR)).title, 'first');
    title = 'second';
    advance(3599);
    assert.equal((await cache.get(CALENDAR)).title, 'first');
    assert.equal(calls, 1);
    advance(1);
    assert.equal((await cache.get(CALENDAR)).title, 'second');
    assert.equal(calls, 2);
  });

  it('keeps the last good set while re-resolution fails, and retries after the cooldown', async () => {
    let calls = 0;
    let up = true;
    const { cache, advance } = cacheOf(async () => {
      calls++;
      if (!up) throw new LexiconUnresolved('no DNS TXT record at _lexicon.calendar.example.test');
      return calendarLexicon();
    });
    await cache.get(CALENDAR);
    up = false;
    advance(3600);
    assert.equal((await cache.get(CALENDAR)).title, 'Calendar', 'stale, not refused');
    advance(59);
    await cache.get(CALENDAR);
    assert.equal(calls, 2, 'no new try within the cooldown');
    up = true;
    advance(1);
    await cache.get(CALENDAR);
    assert.equal(calls, 3);
  });

  it('refuses a set that never resolved for the cooldown, saying why, without fetching again', async () => {
    let calls = 0;
    const { cache, advance } = cacheOf(async () => {
      calls++;
      return { lexicon: 1, id: 'something.else.entirely' };
    });
    for (let i = 0; i < 3; i++) {
      await assert.rejects(cache.get(CALENDAR), (error: unknown) => {
        assert.ok(error instanceof PermissionSetUnavailable);
        assert.equal(
          error.message,
          `the permission set ${CALENDAR} could not be resolved: the Lexicon document's id is not ${CALENDAR}`,
        );
        return true;
      });
    }
    assert.equal(calls, 1);
    advance(60);
    await assert.rejects(cache.get(CALENDAR), PermissionSetUnavailable);
    assert.equal(calls, 2);
  });

  it('does not pass on what an embedder’s resolver says', async () => {
    const { cache } = cacheOf(async () => {
      throw new Error('connect ECONNREFUSED 10.1.2.3:443');
    });
    await assert.rejects(cache.get(CALENDAR), {
      message: `the permission set ${CALENDAR} could not be resolved: the resolver failed`,
    });
  });

  it('resolves an NSID once however many ask at the same time', async () => {
    let calls = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { cache } = cacheOf(async () => {
      calls++;
      await gate;
      return calendarLexicon();
    });
    const asked = [cache.get(CALENDAR), cache.get(CALENDAR), cache.get(CALENDAR)];
    release();
    await Promise.all(asked);
    assert.equal(calls, 1);
    assert.equal(cache.peek(CALENDAR)?.title, 'Calendar');
  });
});
