/** CIMD §4 document validation (CIMD-DOC-*, CIMD-REDIR-1): every document `validateClientMetadataDocument` refuses, with its stable reason. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ClientMetadataDocumentPolicy,
  lintClientMetadataDocument,
  validateClientMetadataDocument,
} from '../src/index.ts';
import { assertRefused, base, JWK_PUBLIC, URL_ } from './support/cimd-documents.ts';

const invalid: Array<[string, unknown, string, ClientMetadataDocumentPolicy?]> = [
  ['an array (CIMD-DOC-8)', [base], 'cimd_document_not_object'],
  ['null', null, 'cimd_document_not_object'],
  ['a string', 'client', 'cimd_document_not_object'],
  ['client_id missing (CIMD-DOC-1)', { ...base, client_id: undefined }, 'cimd_client_id_missing'],
  ['client_id with a trailing slash', { ...base, client_id: `${URL_}/` }, 'cimd_client_id_mismatch'],
  [
    'client_id with the default port',
    { ...base, client_id: 'https://app.example.com:443/oauth/client.json' },
    'cimd_client_id_mismatch',
  ],
  ['client_id in another case', { ...base, client_id: URL_.toUpperCase() }, 'cimd_client_id_mismatch'],
  ['client_name missing (CIMD-DOC-8)', { ...base, client_name: undefined }, 'cimd_client_name_missing'],
  ['client_name blank', { ...base, client_name: '  ' }, 'cimd_client_name_missing'],
  ['redirect_uris missing', { ...base, redirect_uris: undefined }, 'cimd_redirect_uris_missing'],
  ['redirect_uris empty', { ...base, redirect_uris: [] }, 'cimd_redirect_uris_missing'],
  [
    'redirect_uris not an array',
    { ...base, redirect_uris: 'https://app.example.com/cb' },
    'cimd_redirect_uris_missing',
  ],
  ['client_secret (CIMD-DOC-4)', { ...base, client_secret: 's3cret' }, 'cimd_client_secret'],
  ['client_secret_expires_at', { ...base, client_secret_expires_at: 0 }, 'cimd_client_secret'],
  [
    'client_secret_basic (CIMD-DOC-3)',
    { ...base, token_endpoint_auth_method: 'client_secret_basic' },
    'cimd_shared_secret_auth_method',
  ],
  [
    'client_secret_post',
    { ...base, token_endpoint_auth_method: 'client_secret_post' },
    'cimd_shared_secret_auth_method',
  ],
  [
    'client_secret_jwt',
    { ...base, token_endpoint_auth_method: 'client_secret_jwt' },
    'cimd_shared_secret_auth_method',
  ],
  [
    'tls_client_auth (not offered)',
    { ...base, token_endpoint_auth_method: 'tls_client_auth' },
    'cimd_auth_method_unsupported',
  ],
  [
    'private key d (CIMD-DOC-5)',
    { ...base, jwks: { keys: [{ ...JWK_PUBLIC, d: 'secret' }] } },
    'cimd_private_key_material',
  ],
  [
    'RSA private members',
    { ...base, jwks: { keys: [{ kty: 'RSA', n: 'x', e: 'AQAB', p: 'a', q: 'b' }] } },
    'cimd_private_key_material',
  ],
  [
    'symmetric key k',
    { ...base, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } },
    'cimd_private_key_material',
  ],
  [
    'jwks and jwks_uri (CIMD-DOC-9)',
    { ...base, jwks: { keys: [JWK_PUBLIC] }, jwks_uri: 'https://app.example.com/jwks.json' },
    'cimd_jwks_and_jwks_uri',
  ],
  [
    'http jwks_uri (CIMD-FETCH-9)',
    { ...base, jwks_uri: 'http://app.example.com/jwks.json' },
    'cimd_uri_scheme',
  ],
  ['javascript: logo_uri', { ...base, logo_uri: 'javascript:alert(1)' }, 'cimd_uri_scheme'],
  ['data: logo_uri', { ...base, logo_uri: 'data:image/png;base64,AAAA' }, 'cimd_uri_scheme'],
  ['file: policy_uri', { ...base, policy_uri: 'file:///etc/passwd' }, 'cimd_uri_scheme'],
  ['http client_uri', { ...base, client_uri: 'http://app.example.com' }, 'cimd_uri_scheme'],
  ['http tos_uri', { ...base, tos_uri: 'http://app.example.com/tos' }, 'cimd_uri_scheme'],
  [
    'userinfo in logo_uri',
    { ...base, logo_uri: 'https://u:p@app.example.com/logo.png' },
    'cimd_uri_userinfo',
  ],
  [
    'javascript: redirect_uri (CIMD-REDIR-1)',
    { ...base, redirect_uris: ['javascript:alert(1)'] },
    'cimd_redirect_uri_scheme',
  ],
  [
    'http non-loopback redirect_uri',
    { ...base, redirect_uris: ['http://app.example.com/cb'] },
    'cimd_redirect_uri_http_not_loopback',
  ],
  [
    'redirect_uri with fragment',
    { ...base, redirect_uris: ['https://app.example.com/cb#x'] },
    'cimd_redirect_uri_fragment',
  ],
  ['relative redirect_uri', { ...base, redirect_uris: ['/callback'] }, 'cimd_redirect_uri_not_absolute'],
  [
    'redirect_uri with user information',
    { ...base, redirect_uris: ['https://user@app.example.com/cb'] },
    'cimd_redirect_uri_userinfo',
  ],
  [
    'redirect_uri that does not parse',
    { ...base, redirect_uris: ['https://app example.com/cb'] },
    'cimd_redirect_uri_malformed',
  ],
  [
    // The metadata schema caps a redirect URI at the same 2048 and reports first (see below).
    'redirect_uri over 2048 characters',
    { ...base, redirect_uris: [`https://app.example.com/${'a'.repeat(2048)}`] },
    'cimd_metadata_invalid',
  ],
  [
    'only unsupported grant types (CIMD-DOC-11)',
    { ...base, grant_types: ['client_credentials', 'implicit'] },
    'cimd_grant_types_unsupported',
  ],
  ['empty grant_types', { ...base, grant_types: [] }, 'cimd_grant_types_unsupported'],
  ['only response type token', { ...base, response_types: ['token'] }, 'cimd_response_types_unsupported'],
  [
    'empty response_types with the code grant',
    { ...base, response_types: [] },
    'cimd_response_types_unsupported',
  ],
  [
    'private_key_jwt without keys (CIMD-AUTH-1)',
    { ...base, token_endpoint_auth_method: 'private_key_jwt' },
    'cimd_private_key_jwt_without_keys',
  ],
  [
    'private_key_jwt with HS256',
    {
      ...base,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: 'https://app.example.com/jwks.json',
      token_endpoint_auth_signing_alg: 'HS256',
    },
    'cimd_auth_signing_alg',
  ],
  [
    'missing auth method under reject policy (CIMD-DOC-10)',
    { ...base, token_endpoint_auth_method: undefined },
    'cimd_auth_method_missing',
    { missingAuthMethod: 'reject' },
  ],
  [
    'no usable negotiated method',
    {
      ...base,
      token_endpoint_auth_method: undefined,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'tls_client_auth'],
    },
    'cimd_auth_method_unsupported',
  ],
  [
    'grant_types not an array (types)',
    { ...base, grant_types: 'authorization_code' },
    'cimd_metadata_invalid',
  ],
  ['application_type unknown (types)', { ...base, application_type: 'desktop' }, 'cimd_metadata_invalid'],
  [
    'dpop_bound_access_tokens as string (types)',
    { ...base, dpop_bound_access_tokens: 'true' },
    'cimd_metadata_invalid',
  ],
  ['client_id URL itself invalid', { ...base, client_id: 'https://app.example.com' }, 'cimd_url_path'],
  [
    'other-origin redirect under requireSameOriginRedirects (CIMD-REDIR-4)',
    { ...base, redirect_uris: ['https://evil.example/cb'] },
    'cimd_redirect_other_origin',
    { requireSameOriginRedirects: true },
  ],
  [
    'other-port redirect under requireSameOriginRedirects',
    { ...base, redirect_uris: ['https://app.example.com:8443/cb'] },
    'cimd_redirect_other_origin',
    { requireSameOriginRedirects: true },
  ],
  [
    'foreign private-use scheme under requireSameOriginRedirects',
    { ...base, redirect_uris: ['com.evil.app:/cb'] },
    'cimd_redirect_other_origin',
    { requireSameOriginRedirects: true },
  ],
];

describe('validateClientMetadataDocument refuses', () => {
  for (const [name, document, reason, policy] of invalid) {
    it(name, () => {
      const clientIdUrl =
        typeof document === 'object' &&
        document !== null &&
        'client_id' in document &&
        typeof document.client_id === 'string' &&
        reason.startsWith('cimd_url')
          ? document.client_id
          : URL_;
      assertRefused(() => validateClientMetadataDocument(document, clientIdUrl, policy), reason);
    });
  }
});

describe('an overlong redirect_uri', () => {
  it('is refused by the schema cap, and lint names the redirect-URI rule too (CIMD-REDIR-1)', () => {
    const document = { ...base, redirect_uris: [`https://app.example.com/${'a'.repeat(2048)}`] };
    const { findings } = lintClientMetadataDocument(document, URL_);
    const errors = findings.filter((finding) => finding.level === 'error');
    assert.deepEqual(
      errors.map((finding) => finding.reason),
      ['cimd_metadata_invalid', 'cimd_redirect_uri_too_long'],
    );
  });
});
