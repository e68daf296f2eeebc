import { type SafeFetch, SafeFetchError, type SafeResponse } from '@gatehouse-oauth/safe-fetch';

/**
 * A stand-in for the hardened fetcher in process: serves the JSON documents a test publishes,
 * counts fetches, and refuses everything else the way safe-fetch would (status_not_200). The real
 * fetcher is exercised end to end over TLS in test/e2e/cimd.test.ts.
 */
export function stubDocuments() {
  const documents = new Map<string, unknown>();
  const fetches = new Map<string, number>();
  const fetch: SafeFetch = async (input) => {
    const url = String(input);
    fetches.set(url, (fetches.get(url) ?? 0) + 1);
    if (!documents.has(url))
      throw new SafeFetchError('status_not_200', `GET ${url} answered 404`, { url, status: 404 });
    const document = documents.get(url);
    // Bytes are served as they are (a CAR file, a Lexicon record's proof); anything else as JSON.
    const bytes = document instanceof Uint8Array;
    const text = bytes ? new TextDecoder().decode(document) : JSON.stringify(document);
    const body = bytes ? document : new TextEncoder().encode(text);
    const response: SafeResponse = {
      status: 200,
      url,
      headers: new Headers({ 'content-type': bytes ? 'application/vnd.ipld.car' : 'application/json' }),
      body,
      remoteAddress: '192.0.2.10',
      text: () => text,
      json: () => JSON.parse(text),
    };
    return response;
  };
  return {
    fetch,
    publish: (url: string, document: unknown) => void documents.set(url, document),
    fetches: (url: string) => fetches.get(url) ?? 0,
  };
}

export const CIMD_URL = 'https://client.example.test/oauth/client.json';

export function cimdDocument(extra: Record<string, unknown> = {}) {
  return {
    client_id: CIMD_URL,
    client_name: 'Example CIMD client',
    redirect_uris: ['https://app.example.test/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    ...extra,
  };
}
