import { OAuthError } from './oauth-error.ts';

/**
 * Request parameters as OAuth reads them. RFC 6749 §3.1 and §3.2: "Request and response parameters
 * MUST NOT be included more than once", and parameters sent without a value are treated as omitted.
 * Each value is capped, so an oversized parameter is an `invalid_request`, not a memory problem.
 */
export type Parameters = ReadonlyMap<string, string>;

export const MAX_PARAMETER_LENGTH = 4096;

/** Parameters a spec lets repeat: RFC 8707 §2 `resource`. Read them with readRepeatedParameter. */
export const REPEATABLE_PARAMETERS: ReadonlySet<string> = new Set(['resource']);
export const MAX_PARAMETER_COUNT = 64;

export function readParameters(source: URLSearchParams, redirectable = false): Map<string, string> {
  const parameters = new Map<string, string>();
  let count = 0;
  for (const [name, value] of source) {
    count += 1;
    if (count > MAX_PARAMETER_COUNT) {
      throw new OAuthError('invalid_request', {
        reason: 'too_many_parameters',
        description: 'too many parameters',
        redirectable,
      });
    }
    if (value === '') continue;
    if (parameters.has(name) && !REPEATABLE_PARAMETERS.has(name)) {
      throw new OAuthError('invalid_request', {
        reason: 'duplicate_parameter',
        description: `parameter ${name} included more than once`,
        redirectable,
      });
    }
    if (value.length > MAX_PARAMETER_LENGTH || name.length > 128) {
      throw new OAuthError('invalid_request', {
        reason: 'parameter_too_long',
        description: `parameter ${name.slice(0, 64)} is too long`,
        redirectable,
      });
    }
    if (!parameters.has(name)) parameters.set(name, value);
  }
  return parameters;
}

/** Every value of a parameter that RFC 8707 allows to repeat (`resource`). */
export function readRepeatedParameter(source: URLSearchParams, name: string): string[] {
  return source.getAll(name).filter((value) => value !== '');
}

export function requireParameter(parameters: Parameters, name: string, redirectable = false): string {
  const value = parameters.get(name);
  if (value === undefined) {
    throw new OAuthError('invalid_request', {
      reason: 'missing_parameter',
      description: `missing required parameter ${name}`,
      redirectable,
    });
  }
  return value;
}
