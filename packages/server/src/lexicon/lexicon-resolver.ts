import { resolveTxt as systemResolveTxt } from 'node:dns/promises';
import type { RecordClaim } from '@atproto/repo';
import type { SafeFetch } from '@gatehouse-oauth/safe-fetch';
import { atprotoIdentityOf } from './did-document.ts';
import { fetchedBytes, LexiconUnresolved } from './lexicon-unresolved.ts';

/**
 * Extension point (docs/extension-points.md, "Lexicon resolver"): the Lexicon schema document an
 * NSID names, as JSON, or a rejection. Gatehouse checks what it returns (lexicon/permission-set.ts)
 * and caches it (lexicon/permission-set-cache.ts); the resolver need not do either.
 */
export type LexiconResolver = (nsid: string) => Promise<unknown>;

/** A DNS TXT lookup, as `node:dns/promises` `resolveTxt`: each record as its character strings. */
export type TxtLookup = (hostname: string) => Promise<string[][]>;

export interface LexiconResolverOptions {
  /** The hardened fetcher (@gatehouse-oauth/safe-fetch): every URL here is chosen by someone else. */
  fetch: SafeFetch;
  /** Where did:plc documents are read. */
  plcDirectory: string;
  /** The TXT lookup; default the system resolver (`node:dns/promises`). */
  resolveTxt?: TxtLookup;
}

/**
 * A record with its proof: the signed commit, the repository tree's nodes on the way to the record
 * (a few, each small), and the record, a handful of entries for a permission set.
 */
const MAX_PROOF_BYTES = 128 * 1024;
const SCHEMA_COLLECTION = 'com.atproto.lexicon.schema';

/**
 * @atproto/repo, loaded at the first permission set to verify: importing it costs a start about
 * 180 ms and 35 MB, which a server that never resolves one (any other profile) should not pay.
 */
let repoLibrary: Promise<typeof import('@atproto/repo')> | undefined;
/** NSID syntax (AT Protocol NSID spec), enough to build a DNS name and an rkey from it safely. */
const NSID =
  /^[a-zA-Z](?:[a-zA-Z0-9-]{0,62})?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+\.[a-zA-Z][a-zA-Z0-9]{0,62}$/;

/**
 * The default resolver, as the AT Protocol Lexicon spec publishes schemas: the NSID's authority
 * (every segment but the name) reversed is a domain; its `_lexicon` TXT record says `did=<DID>`;
 * that DID's PDS (its DID document) holds the schema as the record
 * `com.atproto.lexicon.schema/<nsid>` of the DID's repository, read with its proof
 * (`com.atproto.sync.getRecord`: a CAR file of the signed commit, the tree's path and the record).
 * The record counts only when the commit is signed by the DID's atproto key and the tree leads to
 * it (@atproto/repo `verifyRecords`), so a PDS, or anyone between, cannot change a publisher's
 * permission set (decision 0037, amended). DNS through `resolveTxt` (injectable), everything else
 * through the hardened fetcher.
 */
export function createLexiconResolver(options: LexiconResolverOptions): LexiconResolver {
  const resolveTxt = options.resolveTxt ?? systemResolveTxt;
  return async (nsid) => {
    if (!NSID.test(nsid) || nsid.length > 317)
      throw new LexiconUnresolved(`${nsid.slice(0, 100)} is not an NSID`);
    const did = await authorityDid(resolveTxt, nsid);
    const identity = await atprotoIdentityOf(
      { fetch: options.fetch, plcDirectory: options.plcDirectory },
      did,
    );
    const url = new URL('/xrpc/com.atproto.sync.getRecord', identity.pds);
    url.searchParams.set('did', did);
    url.searchParams.set('collection', SCHEMA_COLLECTION);
    url.searchParams.set('rkey', nsid);
    const proof = await fetchedBytes(
      options.fetch,
      url.href,
      { maxBytes: MAX_PROOF_BYTES, accept: 'application/vnd.ipld.car' },
      `the Lexicon record of ${nsid}`,
    );
    repoLibrary ??= import('@atproto/repo');
    const { verifyRecords } = await repoLibrary;
    let records: RecordClaim[];
    try {
      records = await verifyRecords(proof, did, identity.signingKey);
    } catch (error) {
      throw new LexiconUnresolved(`the Lexicon record of ${nsid} is not signed by its publisher ${did}`, {
        cause: error,
      });
    }
    const found = records.find((claim) => claim.collection === SCHEMA_COLLECTION && claim.rkey === nsid);
    if (found === undefined)
      throw new LexiconUnresolved(`the publisher ${did} has no Lexicon record of ${nsid}`);
    return found.record;
  };
}

/** `_lexicon.<authority reversed>`, the DNS name whose TXT record names the authority's DID. */
export function lexiconDnsName(nsid: string): string {
  const segments = nsid.split('.');
  return `_lexicon.${segments.slice(0, -1).reverse().join('.').toLowerCase()}`;
}

async function authorityDid(resolveTxt: TxtLookup, nsid: string): Promise<string> {
  const name = lexiconDnsName(nsid);
  let records: string[][];
  try {
    records = await resolveTxt(name);
  } catch (error) {
    throw new LexiconUnresolved(`no DNS TXT record at ${name}`, { cause: error });
  }
  const dids = new Set(
    records
      .map((chunks) => chunks.join(''))
      .filter((text) => text.startsWith('did='))
      .map((text) => text.slice('did='.length).trim()),
  );
  if (dids.size !== 1) {
    throw new LexiconUnresolved(
      dids.size === 0
        ? `the TXT record at ${name} names no did=`
        : `the TXT records at ${name} name several DIDs`,
    );
  }
  return [...dids][0]!;
}
