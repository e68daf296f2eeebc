import { isOAuthError, OAuthError } from '@gatehouse-oauth/core';
import { readCappedText } from '../http/form-body.ts';

/**
 * Reads an RFC 7591 §3.1 / RFC 7592 §2.2 request body: `application/json`, at most 64 KiB, one JSON
 * object (DCR-EP-1). Every failure is `invalid_client_metadata` (RFC 7591 §3.2.2 has no
 * `invalid_request`; a body that cannot be read as metadata is bad metadata), 400, or 413 for a
 * body over the cap. Never a 500, whatever arrives.
 */
export const MAX_REGISTRATION_BYTES = 64 * 1024;

export async function readRegistrationBody(request: Request): Promise<Record<string, unknown>> {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw bodyError('content_type', 'the request body must be application/json');
  }
  let text: string;
  try {
    text = await readCappedText(request, MAX_REGISTRATION_BYTES);
  } catch (error) {
    if (!isOAuthError(error)) throw error;
    throw bodyError(error.reason, error.description ?? 'unreadable body', error.status);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bodyError('body_not_json', 'the request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw bodyError('body_not_object', 'the request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function bodyError(reason: string, description: string, status = 400): OAuthError {
  return new OAuthError('invalid_client_metadata', { reason, description, status });
}
