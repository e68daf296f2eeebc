import { resolveTxt as systemResolveTxt } from 'node:dns/promises';
import type { SafeFetch } from '@gatehouse-oauth/safe-fetch';
import { pdsOf } from './did-document.ts';
import { fetchedJson, LexiconUnresolved } from './lexicon-unresolved.ts';

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

/** Lexicon records are small; a permission set is a handful of entries. */
const MAX_RECORD_BYTES = 64 * 1024;
/** NSID syntax (AT Protocol NSID spec), enough to build a DNS name and an rkey from it safely. */
const NSID =
  /^[a-zA-Z](?:[a-zA-Z0-9-]{0,62})?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+\.[a-zA-Z][a-zA-Z0-9]{0,62}$/;

/**
 * The default resolver, as the AT Protocol Lexicon spec publishes schemas: the NSID's authority
 * (every segment but the name) reversed is a domain; its `_lexicon` TXT record says `did=<DID>`;
 * that DID's PDS (its DID document) holds the schema as the record
 * `com.atproto.lexicon.schema/<nsid>` of the DID's repository, read with
 * `com.atproto.repo.getRecord`. DNS through `resolveTxt` (injectable), everything else through the
 * hardened fetcher. The record is trusted as the PDS the authority's DID names serves it over TLS;
 * its commit signature is not checked (decision 0037).
 */
export function createLexiconResolver(options: LexiconResolverOptions): LexiconResolver {
  const resolveTxt = options.resolveTxt ?? systemResolveTxt;
  return async (nsid) => {
    if (!NSID.test(nsid) || nsid.length > 317)
      throw new LexiconUnresolved(`${nsid.slice(0, 100)} is not an NSID`);
    const did = await authorityDid(resolveTxt, nsid);
    const pds = await pdsOf({ fetch: options.fetch, plcDirectory: options.plcDirectory }, did);
    const url = new URL('/xrpc/com.atproto.repo.getRecord', pds);
    url.searchParams.set('repo', did);
    url.searchParams.set('collection', 'com.atproto.lexicon.schema');
    url.searchParams.set('rkey', nsid);
    const answer = await fetchedJson(
      options.fetch,
      url.href,
      MAX_RECORD_BYTES,
      `the Lexicon record of ${nsid}`,
    );
    const value =
      typeof answer === 'object' && answer !== null ? (answer as { value?: unknown }).value : undefined;
    if (value === undefined) throw new LexiconUnresolved(`the Lexicon record of ${nsid} has no value`);
    return value;
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
