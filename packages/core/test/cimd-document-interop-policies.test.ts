/** CIMD §4 document validation (CIMD-DOC-*) under the interop policies: what each one lets through or refuses. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClientMetadataDocumentPolicy, validateClientMetadataDocument } from '../src/index.ts';
import { base, fixture, JWK_PUBLIC } from './support/cimd-documents.ts';

describe('interop policies', () => {
  const cases: Array<{
    name: string;
    document: Record<string, unknown>;
    policy?: ClientMetadataDocumentPolicy;
    auth?: string;
    grants?: string[];
    warnings: string[];
  }> = [
    {
      name: 'missing token_endpoint_auth_method means none by default (CIMD-DOC-10)',
      document: { ...base, token_endpoint_auth_method: undefined },
      auth: 'none',
      warnings: ['cimd_auth_method_defaulted'],
    },
    {
      name: 'RP Metadata Choices: first supported in the document order',
      document: {
        ...base,
        token_endpoint_auth_method: undefined,
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'none'],
      },
      auth: 'none',
      warnings: ['cimd_auth_method_negotiated'],
    },
    {
      name: 'RP Metadata Choices: private_key_jwt preferred when keys are published',
      document: {
        ...base,
        token_endpoint_auth_method: undefined,
        token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
        jwks_uri: 'https://app.example.com/jwks.json',
      },
      auth: 'private_key_jwt',
      warnings: ['cimd_auth_method_negotiated'],
    },
    {
      name: 'RP Metadata Choices: private_key_jwt skipped without keys',
      document: {
        ...base,
        token_endpoint_auth_method: undefined,
        token_endpoint_auth_methods_supported: ['private_key_jwt', 'none'],
      },
      auth: 'none',
      warnings: ['cimd_auth_method_negotiated'],
    },
    {
      name: 'RP Metadata Choices: only what the server offers',
      document: {
        ...base,
        token_endpoint_auth_method: undefined,
        token_endpoint_auth_methods_supported: ['private_key_jwt', 'none'],
        jwks: { keys: [JWK_PUBLIC] },
      },
      policy: { supportedAuthMethods: ['none'] },
      auth: 'none',
      warnings: ['cimd_auth_method_negotiated'],
    },
    {
      name: 'explicit method wins over the choices list',
      document: {
        ...base,
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        jwks_uri: 'https://app.example.com/jwks.json',
      },
      auth: 'none',
      warnings: [],
    },
    {
      name: 'grant_types default to authorization_code (RFC 7591)',
      document: { ...base },
      grants: ['authorization_code'],
      warnings: [],
    },
    {
      name: 'grant_types intersect with a server that also supports device_code',
      document: fixture('vscode'),
      policy: {
        supportedGrantTypes: [
          'authorization_code',
          'refresh_token',
          'urn:ietf:params:oauth:grant-type:device_code',
        ],
      },
      grants: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      warnings: [],
    },
    {
      // Decision 0042: a machine client (client_credentials only) lists no response type.
      name: 'client_credentials alone, with response_types [], where the server supports it (RFC 7591 §2)',
      document: {
        ...base,
        grant_types: ['client_credentials'],
        response_types: [],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [JWK_PUBLIC] },
      },
      policy: { supportedGrantTypes: ['authorization_code', 'client_credentials'] },
      grants: ['client_credentials'],
      warnings: [],
    },
    {
      name: 'redirect on another host is a warning by default (CIMD-REDIR-4)',
      document: { ...base, redirect_uris: ['https://other.example/cb'] },
      warnings: ['cimd_redirect_other_host'],
    },
    {
      name: 'private-use scheme of the reversed host is fine',
      document: { ...base, redirect_uris: ['com.example.app:/callback'] },
      policy: { requireSameOriginRedirects: true },
      warnings: [],
    },
    {
      name: 'loopback is exempt from requireSameOriginRedirects, but warned about',
      document: { ...base, redirect_uris: ['http://127.0.0.1/callback'] },
      policy: { requireSameOriginRedirects: true },
      warnings: ['cimd_redirect_all_loopback'],
    },
    {
      name: 'client_uri on another host is a warning',
      document: { ...base, client_uri: 'https://marketing.example/' },
      warnings: ['cimd_client_uri_other_host'],
    },
    {
      name: 'root path client_id is a warning (CIMD-URL-3)',
      document: { ...base, client_id: 'https://app.example.com/' },
      warnings: ['cimd_url_root_path'],
    },
    {
      name: 'query client_id accepted under allowQuery',
      document: { ...base, client_id: 'https://app.example.com/c?v=1' },
      policy: { allowQuery: true },
      warnings: ['cimd_url_query'],
    },
    {
      name: 'unknown members are ignored (CIMD-DOC-2)',
      document: {
        ...base,
        software_statement: 'eyJ...',
        frobnicate: { deep: true },
        post_logout_redirect_uris: [],
      },
      warnings: [],
    },
  ];
  for (const { name, document, policy, auth, grants, warnings } of cases) {
    it(name, () => {
      const { metadata, findings } = validateClientMetadataDocument(
        document,
        String(document.client_id),
        policy,
      );
      if (auth !== undefined) assert.equal(metadata.token_endpoint_auth_method, auth);
      if (grants !== undefined) assert.deepEqual(metadata.grant_types, grants);
      assert.deepEqual(
        findings.map((finding) => finding.reason),
        warnings,
      );
      assert.ok(findings.every((finding) => finding.level === 'warning'));
    });
  }
});
