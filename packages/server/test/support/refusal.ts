import assert from 'node:assert/strict';
import type { RequestOutcome } from './test-server.ts';

export interface ExpectedRefusal {
  status: number;
  /** The OAuth `error` code the client sees. */
  error: string;
  /** The stable reason of docs/errors.md, as the server noted it for the request. */
  reason: string;
}

/**
 * Asserts a refusal so it cannot pass for another cause: the status, the `error` code the client
 * sees (the JSON body, or the `error` of a redirect; the HTML error page shows prose only) and the
 * stable `reason` the server noted (the request log line's outcome, `t.lastOutcome()`). Call it
 * right after the request, before the next one. Returns the parsed JSON body or redirect URL.
 */
export async function assertRefusal(
  t: { lastOutcome(): RequestOutcome | undefined },
  response: Response,
  expected: ExpectedRefusal,
): Promise<{ body?: Record<string, unknown>; location?: URL }> {
  const outcome = t.lastOutcome();
  const seen = `${response.status} ${outcome?.error}/${outcome?.reason}`;
  assert.equal(outcome?.reason, expected.reason, `reason: got ${seen}`);
  assert.equal(outcome?.error, expected.error, `error: got ${seen}`);
  assert.equal(response.status, expected.status, `status: got ${seen}`);
  if (response.status === 303) {
    const location = new URL(response.headers.get('location') ?? '');
    assert.equal(location.searchParams.get('error'), expected.error);
    return { location };
  }
  assert.equal(response.headers.get('location'), null, 'a refusal that is not a redirect has no Location');
  if ((response.headers.get('content-type') ?? '').startsWith('application/json')) {
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.error, expected.error);
    return { body };
  }
  await response.body?.cancel();
  return {};
}
