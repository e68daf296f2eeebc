/** What the CIMD document tests (cimd-document-*.test.ts) share: the fixtures real clients publish, a minimal valid document, a public JWK, and the shape of a refusal. */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isOAuthError } from '../../src/index.ts';

export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/cimd/${name}.json`, import.meta.url), 'utf8'));
}

export const URL_ = 'https://app.example.com/oauth/client.json';
export const base = {
  client_id: URL_,
  client_name: 'Example',
  redirect_uris: ['https://app.example.com/callback'],
  token_endpoint_auth_method: 'none',
};
export const JWK_PUBLIC = {
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
};

export function assertRefused(run: () => unknown, reason: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(isOAuthError(error), `not an OAuthError: ${String(error)}`);
    assert.equal(error.reason, reason);
    assert.equal(error.error, 'invalid_client');
    assert.equal(error.status, 400);
    assert.equal(error.redirectable, false);
    return true;
  });
}
