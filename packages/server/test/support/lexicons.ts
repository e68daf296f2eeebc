import { type Keypair, P256Keypair } from '@atproto/crypto';
import { getRecords, MemoryBlockstore, Repo, WriteOpAction } from '@atproto/repo';
import type { stubDocuments } from './stub-documents.ts';

/**
 * Lexicon permission sets for tests (AT-16): a set, and its publication as the default resolver
 * reads it (DID document in the PLC directory, the record with its signed proof on the DID's PDS)
 * on a stub fetcher.
 */
export const CALENDAR = 'test.example.calendar.basic';
/** The calendar authority's DID (did:plc identifiers are 24 base32 characters). */
export const CALENDAR_DID = 'did:plc:calendarpublisheraaaaaaa';
export const PLC_DIRECTORY = 'https://plc.directory';
export const CALENDAR_PDS = 'https://pds.calendar.example.test';

/** A permission-set Lexicon with entries the library ignores (AT-16: unknown entries). */
export function calendarLexicon(extra: unknown[] = []) {
  return {
    lexicon: 1,
    id: CALENDAR,
    defs: {
      main: {
        type: 'permission-set',
        title: 'Calendar',
        detail: 'Your calendar events',
        permissions: [
          { type: 'permission', resource: 'repo', collection: ['test.example.calendar.event'] },
          { type: 'permission', resource: 'rpc', lxm: ['test.example.calendar.getEvents'], inheritAud: true },
          // Unknown entries: another resource, another authority's collection, not an object.
          { type: 'permission', resource: 'frobnicate', what: 'ever' },
          { type: 'permission', resource: 'repo', collection: ['app.bsky.feed.post'] },
          'not a permission',
          ...extra,
        ],
      },
    },
  };
}

/** The TXT lookup of the default resolver: the calendar authority's `_lexicon` record, nothing else. */
export async function calendarTxt(hostname: string): Promise<string[][]> {
  if (hostname === '_lexicon.calendar.example.test') return [[`did=${CALENDAR_DID}`]];
  throw Object.assign(new Error(`queryTxt ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
}

/** The key the calendar publisher signs its repository with; its DID document names it. */
export const CALENDAR_KEY: Keypair = await P256Keypair.create();

/** The URL the default resolver reads `nsid`'s schema record and its proof from. */
export function recordUrl(nsid: string, did = CALENDAR_DID, pds = CALENDAR_PDS): string {
  const url = new URL('/xrpc/com.atproto.sync.getRecord', pds);
  url.searchParams.set('did', did);
  url.searchParams.set('collection', 'com.atproto.lexicon.schema');
  url.searchParams.set('rkey', nsid);
  return url.href;
}

/**
 * What a PDS answers `com.atproto.sync.getRecord` with: a CAR file of `did`'s repository holding
 * `record` as `nsid`'s schema, its commit signed with `key`.
 */
export async function signedRecord(
  did: string,
  nsid: string,
  record: unknown,
  key: Keypair,
): Promise<Uint8Array> {
  const storage = new MemoryBlockstore();
  const collection = 'com.atproto.lexicon.schema';
  const repo = await Repo.create(storage, did, key, [
    { action: WriteOpAction.Create, collection, rkey: nsid, record: record as Record<string, never> },
  ]);
  const chunks: Uint8Array[] = [];
  for await (const chunk of getRecords(storage, repo.cid, [{ collection, rkey: nsid }])) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A DID document naming its PDS and its atproto signing key (`key`). */
export function didDocument(did: string, pds: string, key: Keypair) {
  return {
    id: did,
    verificationMethod: [
      {
        id: `${did}#atproto`,
        type: 'Multikey',
        controller: did,
        publicKeyMultibase: key.did().slice('did:key:'.length),
      },
    ],
    service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: pds }],
  };
}

/**
 * Publishes the calendar authority's DID document and `lexicon` as its schema record, signed with
 * `key` (by default the one the document names; another one is a forgery).
 */
export async function publishCalendar(
  documents: ReturnType<typeof stubDocuments>,
  lexicon: unknown = calendarLexicon(),
  key: Keypair = CALENDAR_KEY,
): Promise<void> {
  documents.publish(
    `${PLC_DIRECTORY}/${encodeURIComponent(CALENDAR_DID)}`,
    didDocument(CALENDAR_DID, CALENDAR_PDS, CALENDAR_KEY),
  );
  documents.publish(recordUrl(CALENDAR), await signedRecord(CALENDAR_DID, CALENDAR, lexicon, key));
}
