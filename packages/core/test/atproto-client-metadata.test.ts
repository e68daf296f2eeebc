/** AT-2, AT-4, AT-8: the AT Protocol profile's rules on client_ids, client documents and redirect URIs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkAtprotoClientDocument,
  checkAtprotoClientId,
  checkAtprotoRedirectUri,
  isOAuthError,
  validateClientMetadataDocument,
} from '../src/index.ts';

const CLIENT_ID = 'https://app.example.com/oauth-client-metadata.json';

function document(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: CLIENT_ID,
    client_name: 'Example',
    client_uri: 'https://app.example.com',
    redirect_uris: ['https://app.example.com/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: 'atproto transition:generic',
    token_endpoint_auth_method: 'none',
    application_type: 'web',
    dpop_bound_access_tokens: true,
    ...extra,
  };
}

function reasonOf(run: () => void): string {
  try {
    run();
  } catch (error) {
    assert.ok(isOAuthError(error), String(error));
    assert.equal(error.error, 'invalid_client');
    assert.equal(error.status, 400);
    return error.reason;
  }
  return 'accepted';
}

function check(raw: Record<string, unknown>, policy = {}): string {
  return reasonOf(() => {
    const { metadata } = validateClientMetadataDocument(raw, String(raw.client_id), policy);
    checkAtprotoClientDocument(raw, metadata, policy);
  });
}

describe('AT-2 client_id', () => {
  it('refuses a port, even the default one, unless the development switch allows it', () => {
    assert.equal(
      reasonOf(() => checkAtprotoClientId('https://app.example.com:8443/c.json')),
      'atproto_client_id_port',
    );
    assert.equal(
      reasonOf(() => checkAtprotoClientId('https://app.example.com:443/c.json')),
      'atproto_client_id_port',
    );
    assert.equal(
      reasonOf(() => checkAtprotoClientId(CLIENT_ID)),
      'accepted',
    );
    assert.equal(
      reasonOf(() =>
        checkAtprotoClientId('https://app.example.com:8443/c.json', { allowClientIdPort: true }),
      ),
      'accepted',
    );
    assert.equal(
      reasonOf(() => checkAtprotoClientId('http://app.example.com/c.json')),
      'atproto_client_id_scheme',
    );
  });
});

describe('AT-4 client metadata document', () => {
  it('accepts a well-formed public and a confidential document', () => {
    assert.equal(check(document()), 'accepted');
    assert.equal(
      check(
        document({
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks_uri: 'https://app.example.com/jwks.json',
        }),
        { clientAssertionAlgorithms: ['ES256'] },
      ),
      'accepted',
    );
  });

  it('refuses response_types without code under a policy that supports another response type', () => {
    // With the default policy (code only) CIMD validation refuses such a document first, as
    // cimd_response_types_unsupported; AT-4 still holds for a caller with a wider policy.
    const policy = { supportedResponseTypes: ['code', 'none'] };
    assert.equal(check(document({ response_types: ['none'] }), policy), 'atproto_response_types');
    assert.equal(check(document({ response_types: ['none'] })), 'cimd_response_types_unsupported');
  });

  it('refuses each missing or wrong field with its own reason', () => {
    const cases: [Record<string, unknown>, string][] = [
      [document({ grant_types: undefined }), 'atproto_grant_types_missing'],
      [document({ grant_types: ['refresh_token'] }), 'atproto_grant_types'],
      [document({ scope: undefined }), 'atproto_scope_missing'],
      [document({ scope: 'transition:generic' }), 'atproto_scope_missing'],
      [document({ token_endpoint_auth_method: undefined }), 'atproto_auth_method_missing'],
      [document({ dpop_bound_access_tokens: undefined }), 'atproto_dpop_bound_access_tokens'],
      [document({ dpop_bound_access_tokens: false }), 'atproto_dpop_bound_access_tokens'],
      [document({ client_uri: 'https://elsewhere.example.com' }), 'atproto_client_uri_host'],
      [
        document({
          token_endpoint_auth_method: 'private_key_jwt',
          jwks_uri: 'https://app.example.com/jwks.json',
        }),
        'atproto_auth_signing_alg',
      ],
      [
        document({
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'RS256',
          jwks_uri: 'https://app.example.com/jwks.json',
        }),
        'atproto_auth_signing_alg',
      ],
    ];
    for (const [raw, reason] of cases) {
      for (const key of Object.keys(raw)) if (raw[key] === undefined) delete raw[key];
      assert.equal(check(raw, { clientAssertionAlgorithms: ['ES256'] }), reason, JSON.stringify(raw));
    }
  });
});

describe('AT-8 redirect URIs', () => {
  const ok = (uri: string, type: 'web' | 'native') =>
    reasonOf(() => checkAtprotoRedirectUri(uri, CLIENT_ID, type));

  it('web: https without the default port; loopback IPs for development', () => {
    assert.equal(ok('https://app.example.com/callback', 'web'), 'accepted');
    assert.equal(ok('https://other.example.net:8443/callback', 'web'), 'accepted');
    assert.equal(ok('https://app.example.com:443/callback', 'web'), 'atproto_redirect_uri');
    assert.equal(ok('http://127.0.0.1:8080/callback', 'web'), 'accepted');
    assert.equal(ok('http://[::1]/callback', 'web'), 'accepted');
    assert.equal(ok('http://localhost/callback', 'web'), 'atproto_redirect_uri');
    assert.equal(ok('http://app.example.com/callback', 'web'), 'atproto_redirect_uri');
    assert.equal(ok('com.example.app:/callback', 'web'), 'atproto_redirect_uri');
  });

  it('native: the reversed client_id host as scheme, with a single slash; https only on the client_id origin', () => {
    assert.equal(ok('com.example.app:/callback', 'native'), 'accepted');
    assert.equal(ok('com.example.app://callback', 'native'), 'atproto_redirect_uri');
    assert.equal(ok('com.example.app:callback', 'native'), 'atproto_redirect_uri');
    assert.equal(ok('com.example.evil:/callback', 'native'), 'atproto_redirect_uri');
    assert.equal(ok('app.example.com:/callback', 'native'), 'atproto_redirect_uri');
    assert.equal(ok('https://app.example.com/native-callback', 'native'), 'accepted');
    assert.equal(ok('https://other.example.net/native-callback', 'native'), 'atproto_redirect_uri');
    assert.equal(ok('http://127.0.0.1/callback', 'native'), 'accepted');
  });

  it('applies to whole documents', () => {
    assert.equal(
      check(document({ application_type: 'native', redirect_uris: ['com.example.app:/callback'] })),
      'accepted',
    );
    assert.equal(
      check(document({ application_type: 'native', redirect_uris: ['com.example.app://callback'] })),
      'atproto_redirect_uri',
    );
    assert.equal(check(document({ redirect_uris: ['com.example.app:/callback'] })), 'atproto_redirect_uri');
  });
});
