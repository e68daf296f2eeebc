/**
 * Checks on a response's head, before its body is read.
 */
import { SafeFetchError } from './errors.ts';

/**
 * CIMD-FETCH-12: the document must be JSON, and `application/json` or any `application/<x>+json`
 * (such as the proposed `application/cimd+json`, or `application/jwk-set+json`) is accepted.
 * Parameters such as `charset` are allowed and ignored.
 */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const essence = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return /^application\/(?:[a-z0-9!#$&^_.+-]+\+)?json$/.test(essence);
}

/**
 * Refuses any content coding but identity (and any transfer coding but chunked).
 *
 * We send `Accept-Encoding: identity`, so a compliant server sends the body as is. A server that
 * compresses anyway is refused rather than decoded: decoding would need a second byte cap on the
 * decoded stream, and a 5 KB gzip body can expand to megabytes (a decompression bomb). Metadata
 * documents and JWKS are small; nothing is lost by insisting on identity.
 */
export function assertIdentityCoding(
  contentEncoding: string | undefined,
  transferEncoding: string | undefined,
  url: string,
): void {
  const codings = (value: string | undefined): string[] =>
    (value ?? '')
      .split(',')
      .map((c) => c.trim().toLowerCase())
      .filter((c) => c !== '');
  const content = codings(contentEncoding).filter((c) => c !== 'identity');
  const transfer = codings(transferEncoding).filter((c) => c !== 'chunked' && c !== 'identity');
  const refused = [...content, ...transfer];
  if (refused.length > 0) {
    throw new SafeFetchError('content_encoding', `refused encoded body (${refused.join(', ')})`, {
      url,
      value: refused.join(', '),
    });
  }
}
