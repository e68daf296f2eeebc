import type { SafeFetch } from '@gatehouse-oauth/safe-fetch';
import { fetchFailureReason, publicFetchDescription } from '../public-fetch-descriptions.ts';

/**
 * Why a Lexicon (a permission set, AT-16) could not be resolved. The message is what the client is
 * told: each step in fixed words, with the fetcher's public sentence for a failed fetch
 * (public-fetch-descriptions.ts), never an address, a DNS answer or a socket error; the `cause`
 * carries those for the log line.
 */
export class LexiconUnresolved extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LexiconUnresolved';
  }
}

/** One JSON fetch of a resolution step, its failure said as LexiconUnresolved naming `what`. */
export async function fetchedJson(
  fetch: SafeFetch,
  url: string,
  maxBytes: number,
  what: string,
): Promise<unknown> {
  try {
    return (await fetch(url, { maxBytes })).json();
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'invalid_json' : fetchFailureReason(error);
    throw new LexiconUnresolved(publicFetchDescription(what, reason), { cause: error });
  }
}

/** One binary fetch of a resolution step (`accept`: its media type), failures as fetchedJson's. */
export async function fetchedBytes(
  fetch: SafeFetch,
  url: string,
  limits: { maxBytes: number; accept: string },
  what: string,
): Promise<Uint8Array> {
  try {
    return (await fetch(url, { ...limits, expectJson: false })).body;
  } catch (error) {
    throw new LexiconUnresolved(publicFetchDescription(what, fetchFailureReason(error)), { cause: error });
  }
}
