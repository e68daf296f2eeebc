/**
 * checkRedirectUriSyntax: which redirect URIs may be registered at all (RFC 7591 §5 / DCR-SEC-1,
 * OAuth 2.1 §2.3.1, RFC 8252 §7.1, MCP-12), each refusal with its own stable reason. Registration,
 * static clients, CIMD documents (as cimd_<reason>) and atproto loopback clients all use it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRedirectUriSyntax, isOAuthError, validateClientMetadataDocument } from '@gatehouse-oauth/core';

describe('checkRedirectUriSyntax', () => {
  const refused: { uri: string; reason: string }[] = [
    { uri: `https://app.example/${'a'.repeat(2048)}`, reason: 'redirect_uri_too_long' },
    { uri: 'https://app.example/cb#frag', reason: 'redirect_uri_fragment' },
    { uri: '/callback', reason: 'redirect_uri_not_absolute' },
    { uri: 'https://app example/cb', reason: 'redirect_uri_malformed' },
    { uri: 'https://user:pw@app.example/cb', reason: 'redirect_uri_userinfo' },
    { uri: 'http://app.example/cb', reason: 'redirect_uri_http_not_loopback' },
    { uri: 'javascript:alert(1)', reason: 'redirect_uri_scheme' },
    { uri: 'myapp:/callback', reason: 'redirect_uri_scheme' },
    // Issue #18 finding 6: each of these was accepted.
    { uri: 'https:evil.example', reason: 'redirect_uri_no_authority' },
    { uri: 'https:/evil.example/cb', reason: 'redirect_uri_no_authority' },
    { uri: 'https:\\\\evil.example/cb', reason: 'redirect_uri_no_authority' },
    { uri: 'https:///evil.example/cb', reason: 'redirect_uri_no_authority' },
    { uri: 'http:127.0.0.1/cb', reason: 'redirect_uri_no_authority' },
    { uri: 'https://app.example/cb\u0000', reason: 'redirect_uri_control_character' },
    { uri: 'https://app.example/c\r\nb', reason: 'redirect_uri_control_character' },
    { uri: 'https://app.exa\tmple/cb', reason: 'redirect_uri_control_character' },
    { uri: 'https://app.example/cb\u007f', reason: 'redirect_uri_control_character' },
    { uri: 'com.example.app:/cb\u0085', reason: 'redirect_uri_control_character' },
    { uri: 'https://bücher.example/cb', reason: 'redirect_uri_host_not_ascii' },
    { uri: 'https://аpple.example/cb', reason: 'redirect_uri_host_not_ascii' },
  ];
  for (const { uri, reason } of refused) {
    it(`refuses ${uri.slice(0, 40)} → invalid_redirect_uri ${reason}`, () => {
      assert.throws(
        () => checkRedirectUriSyntax(uri),
        (error: unknown) =>
          isOAuthError(error) && error.error === 'invalid_redirect_uri' && error.reason === reason,
      );
    });
  }

  const accepted = [
    'https://app.example/cb',
    'http://127.0.0.1:8080/cb',
    'http://[::1]/cb',
    'com.example.app:/callback',
    'https://xn--bcher-kva.example/cb',
    // Only the host must be ASCII; a path may carry what the client likes (the URL stays exact).
    'https://app.example/bücher',
  ];
  for (const uri of accepted) {
    it(`accepts ${uri}`, () => {
      assert.doesNotThrow(() => checkRedirectUriSyntax(uri));
    });
  }
});

describe('CIMD documents hold redirect URIs to the same rules (CIMD-REDIR-1, issue #18)', () => {
  const clientId = 'https://app.example.com/oauth/client.json';
  const cases: [string, string][] = [
    ['https:app.example.com/cb', 'cimd_redirect_uri_no_authority'],
    ['https://app.example.com/cb\u0000', 'cimd_redirect_uri_control_character'],
    ['https://äpp.example.com/cb', 'cimd_redirect_uri_host_not_ascii'],
  ];
  for (const [uri, reason] of cases) {
    it(`refuses ${JSON.stringify(uri)} → ${reason}`, () => {
      const document = {
        client_id: clientId,
        client_name: 'Example',
        redirect_uris: [uri],
        token_endpoint_auth_method: 'none',
      };
      assert.throws(
        () => validateClientMetadataDocument(document, clientId),
        (error: unknown) => isOAuthError(error) && error.reason === reason,
      );
    });
  }
});
