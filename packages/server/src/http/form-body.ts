import { OAuthError, readParameters } from '@gatehouse/core';

/**
 * Reads an `application/x-www-form-urlencoded` body (RFC 6749 §3.2, §4.1.3: the token endpoint
 * takes nothing else) with a byte cap, so a huge or never-ending body cannot hold memory.
 */
export const MAX_FORM_BYTES = 64 * 1024;

export interface FormBody {
  parameters: Map<string, string>;
  /** The raw pairs, for parameters that may repeat (RFC 8707 `resource`). */
  raw: URLSearchParams;
}

export async function readFormBody(request: Request): Promise<FormBody> {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('invalid_request', {
      reason: 'content_type',
      description: 'the request body must be application/x-www-form-urlencoded',
    });
  }
  const text = await readCappedText(request, MAX_FORM_BYTES);
  const raw = new URLSearchParams(text);
  return { parameters: readParameters(raw), raw };
}

export async function readCappedText(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  const tooLarge = () =>
    new OAuthError('invalid_request', {
      reason: 'body_too_large',
      description: 'the request body is too large',
      status: 413,
    });
  if (declared > maxBytes) throw tooLarge();
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new OAuthError('invalid_request', {
      reason: 'body_not_utf8',
      description: 'the request body is not UTF-8',
    });
  }
}
