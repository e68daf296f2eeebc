import {
  type PeerCertificate,
  type SafeFetch,
  SafeFetchError,
  type SafeFetchReason,
  type SafeResponse,
} from '@gatehouse-oauth/safe-fetch';

/**
 * A stand-in for the hardened fetcher that also plays the server behind each URL (issue #14): the
 * address it answers from, the TLS certificate it shows, its validators (a 304 for a matching
 * If-None-Match), and how it fails (a 404, DNS), each settable per URL while a test runs. The real
 * fetcher reports these over real TLS in packages/safe-fetch/test/peer-certificate.test.ts and
 * test/e2e/document-history.test.ts.
 */
export interface OriginState {
  /** Served as JSON with status 200 (unless `raw` or `fail`). */
  document?: unknown;
  /** Served as the body as is (a body that is not JSON). */
  raw?: string | undefined;
  /** Fail the way safe-fetch would, after connecting (the peer is still reported). */
  fail?: { reason: SafeFetchReason; status?: number } | undefined;
  remoteAddress?: string | undefined;
  tls?: PeerCertificate | undefined;
  /** Sent as ETag; a request with this If-None-Match is answered 304. */
  etag?: string | undefined;
}

export function certificate(issuer: string, key: string, now: number): PeerCertificate {
  return {
    issuer: `CN=${issuer}`,
    subject: 'CN=client.example.test',
    spkiSha256: key,
    validFrom: now - 86_400_000,
    validTo: now + 90 * 86_400_000,
  };
}

export function stubOrigin() {
  const states = new Map<string, OriginState>();
  const fetch: SafeFetch = async (input, init) => {
    const url = String(input);
    const state = states.get(url);
    if (state === undefined) throw new SafeFetchError('dns_failure', `cannot resolve ${url}`, { url });
    const peer = {
      ...(state.remoteAddress === undefined ? {} : { remoteAddress: state.remoteAddress }),
      ...(state.tls === undefined ? {} : { certificate: state.tls }),
    };
    if (state.fail !== undefined) {
      const { reason, status } = state.fail;
      throw new SafeFetchError(reason, `refused: ${reason}`, {
        url,
        ...(status === undefined ? {} : { status }),
        ...peer,
      });
    }
    const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'max-age=300' });
    if (state.etag !== undefined) headers.set('etag', state.etag);
    const conditional = init?.headers?.['if-none-match'];
    const notModified = state.etag !== undefined && conditional === state.etag;
    const text = notModified ? '' : (state.raw ?? JSON.stringify(state.document));
    const response: SafeResponse = {
      status: notModified ? 304 : 200,
      url,
      headers,
      body: new TextEncoder().encode(text),
      remoteAddress: state.remoteAddress,
      tls: state.tls,
      text: () => text,
      json: () => JSON.parse(text),
    };
    return response;
  };
  return {
    fetch,
    set: (url: string, state: OriginState) => void states.set(url, state),
    update: (url: string, patch: Partial<OriginState>) =>
      void states.set(url, { ...states.get(url), ...patch }),
  };
}
