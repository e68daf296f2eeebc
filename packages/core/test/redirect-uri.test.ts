/**
 * checkRedirectUriSyntax: which redirect URIs may be registered at all (RFC 7591 §5 / DCR-SEC-1,
 * OAuth 2.1 §2.3.1, RFC 8252 §7.1, MCP-12), each refusal with its own stable reason. Registration,
 * static clients, CIMD documents (as cimd_<reason>) and atproto loopback clients all use it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRedirectUriSyntax, isOAuthError } from '@gatehouse-oauth/core';

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
  ];
  for (const uri of accepted) {
    it(`accepts ${uri}`, () => {
      assert.doesNotThrow(() => checkRedirectUriSyntax(uri));
    });
  }
});
