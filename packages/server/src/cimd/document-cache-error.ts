/**
 * Why the document cache itself refused a response (as opposed to the fetcher or the validator):
 * a body that is not JSON, or a 304 it cannot trust (RFC 9111 §4.3.4).
 */
export type DocumentCacheErrorReason =
  /** The 200 body is not JSON. */
  | 'invalid_json'
  /** A 304 whose validators do not match the stored response (RFC 9111 §4.3.4): the body is unconfirmed. */
  | 'revalidation_mismatch'
  /** A 304 to a request that carried no validator. */
  | 'unexpected_not_modified';

export class DocumentCacheError extends Error {
  override readonly name = 'DocumentCacheError';
  readonly reason: DocumentCacheErrorReason;
  readonly url: string;

  constructor(reason: DocumentCacheErrorReason, url: string, cause?: unknown) {
    super(`client metadata document ${url}: ${reason}`, cause === undefined ? undefined : { cause });
    this.reason = reason;
    this.url = url;
  }
}
