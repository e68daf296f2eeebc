import type { SafeFetch } from '@gatehouse-oauth/safe-fetch';
import { fetchedJson, LexiconUnresolved } from './lexicon-unresolved.ts';

/**
 * A DID's AT Protocol PDS, from its DID document (AT Protocol DID spec): `did:plc` through the PLC
 * directory, `did:web` at `https://<host>/.well-known/did.json`; the `#atproto_pds` service of
 * type `AtprotoPersonalDataServer` names it. Used to find where a Lexicon authority publishes its
 * schemas (lexicon-resolver.ts). Every fetch goes through the hardened fetcher given.
 */

const PLC = /^did:plc:[a-z2-7]{24}$/;
/** atproto's did:web is a bare hostname: no port, no path (AT Protocol DID spec). */
const WEB = /^did:web:([a-z0-9-]+(?:\.[a-z0-9-]+)+)$/i;
/** DID documents are small; this leaves room for many keys and services. */
const MAX_DID_DOCUMENT_BYTES = 64 * 1024;

export interface DidResolution {
  fetch: SafeFetch;
  /** Where did:plc documents are read, e.g. https://plc.directory. */
  plcDirectory: string;
}

/** The https origin of `did`'s PDS, or LexiconUnresolved saying which step failed. */
export async function pdsOf(deps: DidResolution, did: string): Promise<string> {
  const url = didDocumentUrl(deps, did);
  const document = await fetchedJson(deps.fetch, url, MAX_DID_DOCUMENT_BYTES, `the DID document of ${did}`);
  if (!isRecord(document) || document.id !== did) {
    throw new LexiconUnresolved(`the DID document of ${did} is not that DID's document`);
  }
  const services = Array.isArray(document.service) ? document.service : [];
  const pds = services.find(
    (service) =>
      isRecord(service) &&
      (service.id === '#atproto_pds' || service.id === `${did}#atproto_pds`) &&
      service.type === 'AtprotoPersonalDataServer',
  ) as Record<string, unknown> | undefined;
  const endpoint = typeof pds?.serviceEndpoint === 'string' ? pds.serviceEndpoint : undefined;
  if (endpoint === undefined || !URL.canParse(endpoint) || new URL(endpoint).protocol !== 'https:') {
    throw new LexiconUnresolved(`the DID document of ${did} names no https AT Protocol PDS`);
  }
  return new URL(endpoint).origin;
}

function didDocumentUrl(deps: DidResolution, did: string): string {
  if (PLC.test(did)) return `${deps.plcDirectory.replace(/\/+$/, '')}/${encodeURIComponent(did)}`;
  const web = WEB.exec(did);
  if (web !== null) return `https://${web[1]!.toLowerCase()}/.well-known/did.json`;
  throw new LexiconUnresolved(`${did.slice(0, 100)} is not a did:plc or did:web this server resolves`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
