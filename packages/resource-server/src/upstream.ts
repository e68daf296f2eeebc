/**
 * Calls to the authorization server (its RFC 8414 metadata, its JWKS, its introspection endpoint).
 * These go to the configured issuer, not to an attacker-chosen URL, so the SSRF guard of
 * `@gatehouse-oauth/safe-fetch` is not needed; what is kept is a deadline, a byte cap, no redirects and
 * strict JSON, so a slow or broken authorization server cannot hold requests or memory.
 */
export class AuthorizationServerUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthorizationServerUnavailable';
  }
}

export interface UpstreamOptions {
  fetch: typeof fetch;
  timeoutMs: number;
  maxBytes: number;
}

export async function fetchJsonObject(
  options: UpstreamOptions,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await options.fetch(url, {
      method: init.method ?? 'GET',
      headers: { accept: 'application/json', ...init.headers },
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
      ...(init.body === undefined ? {} : { body: init.body }),
    });
  } catch {
    throw new AuthorizationServerUnavailable(`could not reach ${url}`);
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {});
    throw new AuthorizationServerUnavailable(`${url} answered ${response.status}`);
  }
  const text = await readCapped(response, options.maxBytes, url);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AuthorizationServerUnavailable(`${url} did not answer JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AuthorizationServerUnavailable(`${url} did not answer a JSON object`);
  }
  return value as Record<string, unknown>;
}

async function readCapped(response: Response, maxBytes: number, url: string): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new AuthorizationServerUnavailable(`${url} answered more than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof AuthorizationServerUnavailable) throw error;
    throw new AuthorizationServerUnavailable(`reading ${url} failed`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new AuthorizationServerUnavailable(`${url} did not answer UTF-8`);
  }
}
