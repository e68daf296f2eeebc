import type { SafeFetch } from '@gatehouse-oauth/safe-fetch';
import { fetchedJson, LexiconUnresolved } from './lexicon-unresolved.ts';

/**
 * A DID's AT Protocol identity, from its DID document (AT Protocol DID spec): `did:plc` through
 * the PLC directory, `did:web` at `https://<host>/.well-known/did.json`. The `#atproto_pds` service
 * of type `AtprotoPersonalDataServer` names its PDS, and the `#atproto` verification method (a
 * `Multikey`) the key its repository's commits are signed with. Used to find where a Lexicon
 * authority publishes its schemas and to check they are its own (lexicon-resolver.ts). Every fetch
 * goes through the hardened fetcher given.
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

/** Where a DID's repository lives, and the key that signs its commits. */
export interface AtprotoIdentity {
  /** The https origin of its PDS. */
  pds: string;
  /** Its atproto signing key as a `did:key`, which verifies the repository's commit signatures. */
  signingKey: string;
}

/** `did`'s PDS and signing key, or LexiconUnresolved saying which step failed. */
export async function atprotoIdentityOf(deps: DidResolution, did: string): Promise<AtprotoIdentity> {
  const url = didDocumentUrl(deps, did);
  const document = await fetchedJson(deps.fetch, url, MAX_DID_DOCUMENT_BYTES, `the DID document of ${did}`);
  if (!isRecord(document) || document.id !== did) {
    throw new LexiconUnresolved(`the DID document of ${did} is not that DID's document`);
  }
  const named = (entries: unknown, fragment: string) =>
    (Array.isArray(entries) ? entries : []).find(
      (entry): entry is Record<string, unknown> =>
        isRecord(entry) && (entry.id === `#${fragment}` || entry.id === `${did}#${fragment}`),
    );
  const pds = named(document.service, 'atproto_pds');
  const endpoint =
    pds?.type === 'AtprotoPersonalDataServer' && typeof pds.serviceEndpoint === 'string'
      ? pds.serviceEndpoint
      : undefined;
  if (endpoint === undefined || !URL.canParse(endpoint) || new URL(endpoint).protocol !== 'https:') {
    throw new LexiconUnresolved(`the DID document of ${did} names no https AT Protocol PDS`);
  }
  const key = named(document.verificationMethod, 'atproto');
  const multibase =
    key?.type === 'Multikey' && typeof key.publicKeyMultibase === 'string'
      ? key.publicKeyMultibase
      : undefined;
  // A multibase base58btc multikey: 'z' and base58 characters (the key type is checked on use).
  if (multibase === undefined || !/^z[1-9A-HJ-NP-Za-km-z]{40,128}$/.test(multibase)) {
    throw new LexiconUnresolved(`the DID document of ${did} names no atproto signing key`);
  }
  return { pds: new URL(endpoint).origin, signingKey: `did:key:${multibase}` };
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
