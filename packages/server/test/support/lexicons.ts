import type { stubDocuments } from './stub-documents.ts';

/**
 * Lexicon permission sets for tests (AT-16): a set, and its publication as the default resolver
 * reads it (DID document in the PLC directory, the record on the DID's PDS) on a stub fetcher.
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

/** The URL the default resolver reads `nsid`'s schema record from. */
export function recordUrl(nsid: string, did = CALENDAR_DID, pds = CALENDAR_PDS): string {
  const url = new URL('/xrpc/com.atproto.repo.getRecord', pds);
  url.searchParams.set('repo', did);
  url.searchParams.set('collection', 'com.atproto.lexicon.schema');
  url.searchParams.set('rkey', nsid);
  return url.href;
}

/** Publishes the calendar authority's DID document and `lexicon` as its schema record. */
export function publishCalendar(
  documents: ReturnType<typeof stubDocuments>,
  lexicon: unknown = calendarLexicon(),
) {
  documents.publish(`${PLC_DIRECTORY}/${encodeURIComponent(CALENDAR_DID)}`, {
    id: CALENDAR_DID,
    service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: CALENDAR_PDS }],
  });
  documents.publish(recordUrl(CALENDAR), {
    uri: `at://${CALENDAR_DID}/com.atproto.lexicon.schema/${CALENDAR}`,
    value: lexicon,
  });
}
