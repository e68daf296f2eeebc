/** AT-5: the AT Protocol loopback development client, a virtual public document built from the client_id. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ATPROTO_LOOPBACK_DEFAULT_REDIRECT_URIS,
  atprotoLoopbackClientMetadata,
  findRegisteredRedirectUri,
  isAtprotoLoopbackClientId,
  isOAuthError,
} from '../src/index.ts';

function reasonOf(clientId: string): string {
  try {
    atprotoLoopbackClientMetadata(clientId);
  } catch (error) {
    assert.ok(isOAuthError(error));
    assert.equal(error.error, 'invalid_client');
    return error.reason;
  }
  return 'accepted';
}

describe('AT-5 loopback client_id', () => {
  it('recognises exactly http://localhost, optionally with / and a query', () => {
    for (const id of [
      'http://localhost',
      'http://localhost/',
      'http://localhost?scope=atproto',
      'http://localhost/?a=b',
    ]) {
      assert.equal(isAtprotoLoopbackClientId(id), true, id);
    }
    for (const id of [
      'http://localhost:8080',
      'http://localhost.evil.example/',
      'http://localhostx',
      'http://127.0.0.1',
      'http://[::1]',
      'https://localhost',
      'HTTP://localhost',
      'http://LOCALHOST',
    ]) {
      assert.equal(isAtprotoLoopbackClientId(id), false, id);
    }
  });

  it('builds the virtual document with the AT-5 defaults', () => {
    const metadata = atprotoLoopbackClientMetadata('http://localhost');
    assert.deepEqual(metadata.redirect_uris, ATPROTO_LOOPBACK_DEFAULT_REDIRECT_URIS);
    assert.deepEqual(metadata.redirect_uris, ['http://127.0.0.1/', 'http://[::1]/']);
    assert.equal(metadata.scope, 'atproto');
    assert.equal(metadata.token_endpoint_auth_method, 'none');
    assert.equal(metadata.application_type, 'native');
    assert.equal(metadata.dpop_bound_access_tokens, true);
    assert.deepEqual(metadata.response_types, ['code']);
    assert.deepEqual(metadata.grant_types, ['authorization_code', 'refresh_token']);
    assert.equal(metadata.client_id, 'http://localhost');
    assert.ok(metadata.client_name);
  });

  it('takes repeatable redirect_uri and a single scope from the query', () => {
    const id = `http://localhost?redirect_uri=${encodeURIComponent('http://127.0.0.1:8080/callback')}&redirect_uri=${encodeURIComponent('http://[::1]/cb')}&scope=${encodeURIComponent('atproto transition:generic')}`;
    const metadata = atprotoLoopbackClientMetadata(id);
    assert.deepEqual(metadata.redirect_uris, ['http://127.0.0.1:8080/callback', 'http://[::1]/cb']);
    assert.equal(metadata.scope, 'atproto transition:generic');
    assert.equal(metadata.client_id, id, 'the client_id is kept exactly as sent');
  });

  it('matches redirects on any port but the same path (AT-5)', () => {
    const { redirect_uris } = atprotoLoopbackClientMetadata('http://localhost');
    assert.equal(findRegisteredRedirectUri(redirect_uris, 'http://127.0.0.1:53682/'), 'http://127.0.0.1/');
    assert.equal(findRegisteredRedirectUri(redirect_uris, 'http://[::1]:1234/'), 'http://[::1]/');
    assert.equal(findRegisteredRedirectUri(redirect_uris, 'http://127.0.0.1:53682/other'), undefined);
    assert.equal(findRegisteredRedirectUri(redirect_uris, 'http://localhost:53682/'), undefined);
  });

  it('refuses what the profile does not allow', () => {
    const cases: [string, string][] = [
      ['http://localhost/path', 'atproto_loopback_path'],
      ['http://localhost/#x', 'atproto_loopback_fragment'],
      ['http://localhost?scope=atproto&scope=atproto', 'atproto_loopback_scope'],
      ['http://localhost?scope=transition:generic', 'atproto_loopback_scope'],
      ['http://localhost?client_name=x', 'atproto_loopback_query'],
      [
        `http://localhost?redirect_uri=${encodeURIComponent('http://localhost:1234/')}`,
        'atproto_loopback_redirect_uri',
      ],
      [
        `http://localhost?redirect_uri=${encodeURIComponent('https://app.example/cb')}`,
        'atproto_loopback_redirect_uri',
      ],
      [
        `http://localhost?redirect_uri=${encodeURIComponent('http://127.0.0.1:99999/')}`,
        'atproto_loopback_redirect_uri',
      ],
      [
        `http://localhost?redirect_uri=${encodeURIComponent('http://10.0.0.1/')}`,
        'atproto_loopback_redirect_uri',
      ],
      ['http://localhost:8080', 'atproto_loopback_client_id'],
    ];
    for (const [id, reason] of cases) assert.equal(reasonOf(id), reason, id);
  });
});
