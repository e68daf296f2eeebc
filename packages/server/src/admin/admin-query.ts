/**
 * Query parameters of an admin API operation, read by the zod schema its table entry declares
 * (admin-openapi.ts), so the OpenAPI document says what is accepted. A name the schema does not
 * know, or one given twice, is refused as a path parameter the schema refuses is: 400
 * `parameter_invalid` (one reason for every parameter of the admin API).
 */
import { OAuthError } from '@gatehouse-oauth/core';
import type { z } from 'zod';

export function readQuery<Schema extends z.ZodObject>(request: Request, schema: Schema): z.output<Schema> {
  const parameters = new URL(request.url).searchParams;
  const given: Record<string, string> = {};
  for (const [name, value] of parameters) {
    if (name in given) throw queryInvalid(`${name}: given more than once`);
    given[name] = value;
  }
  const checked = schema.safeParse(given);
  if (checked.success) return checked.data;
  const [issue] = checked.error.issues;
  const keys = issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : undefined;
  throw queryInvalid(
    keys === undefined
      ? `${issue?.path.join('.') || 'query'}: ${issue?.message ?? 'invalid'}`
      : `unknown parameter ${keys}`,
  );
}

function queryInvalid(description: string): OAuthError {
  return new OAuthError('invalid_request', { reason: 'parameter_invalid', description });
}
