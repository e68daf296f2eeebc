/**
 * The document change policy (issue #13; CIMD-CHG-1: weigh changes to a document's
 * security-relevant fields; CIMD-CHG-2: ordinary key rotation keeps working): each field's change,
 * its direction and its consequence, and the outcome as the most severe of them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ChangeConsequence,
  type ClientMetadata,
  type ComparedMetadata,
  classifyDocumentChange,
  type DocumentChangeFinding,
  mostSevere,
  signingAlgStrength,
} from '../src/index.ts';

const CLIENT_ID = 'https://client.example/oauth/client.json';
const KEY_A = { kty: 'EC', crv: 'P-256', x: 'xA', y: 'yA', kid: 'a' };
const KEY_B = { kty: 'EC', crv: 'P-256', x: 'xB', y: 'yB', kid: 'b' };
const KEY_C = { kty: 'OKP', crv: 'Ed25519', x: 'xC', kid: 'c' };

function metadata(extra: Partial<ComparedMetadata> = {}): ComparedMetadata {
  const base: ClientMetadata = {
    client_id: CLIENT_ID,
    client_name: 'Example',
    redirect_uris: ['https://client.example/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  };
  return { ...base, ...extra };
}

function classify(before: Partial<ComparedMetadata>, after: Partial<ComparedMetadata>) {
  return classifyDocumentChange(metadata(before), metadata(after), CLIENT_ID);
}

/** The findings as `field direction consequence`, for short assertions. */
function summary(findings: readonly DocumentChangeFinding[]): string[] {
  return findings.map(({ field, direction, consequence }) => `${field} ${direction} ${consequence}`);
}

describe('document change policy: redirect_uris', () => {
  it('holds a redirect added on a host other than the client_id host, and says which', () => {
    const change = classify(
      {},
      { redirect_uris: ['https://client.example/callback', 'https://evil.example/cb'] },
    );
    assert.equal(change.outcome, 'hold');
    assert.deepEqual(summary(change.findings), ['redirect_uris added hold']);
    assert.match(
      change.findings[0]!.reason,
      /redirect https:\/\/evil\.example\/cb added on foreign host evil\.example/,
    );
  });

  it('keeps a redirect added on the client_id host (any port, any case), and a removed one', () => {
    const added = classify(
      {},
      {
        redirect_uris: [
          'https://client.example/callback',
          'https://CLIENT.example/other',
          'https://client.example:8443/cb',
        ],
      },
    );
    assert.equal(added.outcome, 'keep');
    assert.deepEqual(summary(added.findings), ['redirect_uris added keep', 'redirect_uris added keep']);
    const removed = classify(
      { redirect_uris: ['https://client.example/callback', 'https://app.example/cb'] },
      { redirect_uris: ['https://client.example/callback'] },
    );
    assert.equal(removed.outcome, 'keep');
    assert.deepEqual(summary(removed.findings), ['redirect_uris removed keep']);
  });

  it('counts a subdomain, a loopback address and a foreign private-use scheme as foreign hosts', () => {
    for (const uri of [
      'https://app.client.example/cb',
      'http://127.0.0.1/callback',
      'http://[::1]:8080/callback',
      'com.evil.app:/callback',
    ]) {
      const change = classify({}, { redirect_uris: ['https://client.example/callback', uri] });
      assert.equal(change.outcome, 'hold', uri);
    }
    const loopback = classify({}, { redirect_uris: ['http://127.0.0.1/callback'] });
    assert.match(loopback.findings.find((f) => f.direction === 'added')!.reason, /loopback/);
  });

  it('accepts a private-use scheme that is the client_id host reversed (RFC 8252 §7.1)', () => {
    const change = classify({}, { redirect_uris: ['https://client.example/callback', 'example.client:/cb'] });
    assert.equal(change.outcome, 'keep');
  });

  it('treats every added redirect as foreign when the client_id is not a URL', () => {
    const change = classifyDocumentChange(
      metadata(),
      metadata({ redirect_uris: ['https://client.example/callback', 'https://client.example/b'] }),
      'registered-client',
    );
    assert.equal(change.outcome, 'hold');
  });

  it('does not read a reordered list as a change', () => {
    const change = classify(
      { redirect_uris: ['https://client.example/a', 'https://client.example/b'] },
      { redirect_uris: ['https://client.example/b', 'https://client.example/a'] },
    );
    assert.deepEqual(change, { outcome: 'unchanged', findings: [] });
  });
});

describe('document change policy: keys (CIMD-CHG-2)', () => {
  it('keeps a key added and a key rotated, with the rest unchanged', () => {
    const added = classify({ jwks: { keys: [KEY_A] } }, { jwks: { keys: [KEY_A, KEY_B] } });
    assert.deepEqual(summary(added.findings), ['jwks added keep']);
    const rotated = classify({ jwks: { keys: [KEY_A, KEY_B] } }, { jwks: { keys: [KEY_B, KEY_C] } });
    assert.deepEqual(summary(rotated.findings), ['jwks rotated keep']);
    assert.equal(rotated.outcome, 'keep');
    const removed = classify({ jwks: { keys: [KEY_A, KEY_B] } }, { jwks: { keys: [KEY_B] } });
    assert.deepEqual(summary(removed.findings), ['jwks removed keep']);
  });

  it('compares keys by their public members: a new kid or member order is the same key', () => {
    const renamed = classify({ jwks: { keys: [KEY_A] } }, { jwks: { keys: [{ ...KEY_A, kid: 'a2' }] } });
    assert.deepEqual(summary(renamed.findings), ['jwks changed keep']);
    const { y, x, ...rest } = KEY_A;
    const reordered = classify({ jwks: { keys: [KEY_A] } }, { jwks: { keys: [{ y, x, ...rest }] } });
    assert.deepEqual(reordered, { outcome: 'unchanged', findings: [] });
  });

  it('keeps every key replaced, or jwks_uri moved, while redirect_uris stay the same', () => {
    const replaced = classify({ jwks: { keys: [KEY_A] } }, { jwks: { keys: [KEY_C] } });
    assert.deepEqual(summary(replaced.findings), ['jwks replaced keep']);
    const moved = classify(
      { jwks_uri: 'https://client.example/jwks.json' },
      { jwks_uri: 'https://keys.elsewhere.example/jwks.json' },
    );
    assert.deepEqual(summary(moved.findings), ['jwks_uri replaced keep']);
    assert.match(moved.findings[0]!.reason, /jwks_uri moved from https:\/\/client\.example\/jwks\.json to/);
  });

  it('holds keys replaced together with a redirect change, even one on the client_id host', () => {
    const replaced = classify(
      { jwks: { keys: [KEY_A] } },
      {
        jwks: { keys: [KEY_C] },
        redirect_uris: ['https://client.example/callback', 'https://client.example/new'],
      },
    );
    assert.equal(replaced.outcome, 'hold');
    assert.deepEqual(summary(replaced.findings), ['redirect_uris added keep', 'jwks replaced hold']);
    const moved = classify(
      { jwks_uri: 'https://client.example/jwks.json', redirect_uris: ['https://client.example/callback'] },
      { jwks_uri: 'https://client.example/other-jwks.json', redirect_uris: ['https://client.example/only'] },
    );
    assert.equal(moved.outcome, 'hold');
    const switched = classify(
      { jwks: { keys: [KEY_A] } },
      { jwks_uri: 'https://client.example/jwks.json', redirect_uris: [] },
    );
    assert.deepEqual(summary(switched.findings), ['redirect_uris removed keep', 'jwks_uri replaced hold']);
  });

  it('keeps a rotation together with a redirect change: some previous key still signs', () => {
    const change = classify(
      { jwks: { keys: [KEY_A, KEY_B] } },
      {
        jwks: { keys: [KEY_B, KEY_C] },
        redirect_uris: ['https://client.example/callback', 'https://client.example/x'],
      },
    );
    assert.equal(change.outcome, 'keep');
  });

  it('keeps keys first published or withdrawn (the auth method says whether that weakens)', () => {
    assert.deepEqual(summary(classify({}, { jwks_uri: 'https://client.example/jwks.json' }).findings), [
      'jwks_uri added keep',
    ]);
    assert.deepEqual(summary(classify({ jwks: { keys: [KEY_A] } }, {}).findings), ['jwks removed keep']);
  });
});

describe('document change policy: downgrades', () => {
  const downgrades: [string, Partial<ComparedMetadata>, Partial<ComparedMetadata>][] = [
    ['DPoP binding dropped', { dpop_bound_access_tokens: true }, { dpop_bound_access_tokens: false }],
    ['DPoP binding unset', { dpop_bound_access_tokens: true }, {}],
    ['PAR no longer required', { require_pushed_authorization_requests: true }, {}],
    ['web to native', { application_type: 'web' }, { application_type: 'native' }],
    ['unset (web) to native', {}, { application_type: 'native' }],
    [
      'private_key_jwt to none',
      { token_endpoint_auth_method: 'private_key_jwt' },
      { token_endpoint_auth_method: 'none' },
    ],
    [
      'private_key_jwt to a shared secret',
      { token_endpoint_auth_method: 'private_key_jwt' },
      { token_endpoint_auth_method: 'client_secret_basic' },
    ],
    [
      'client_secret_post to none',
      { token_endpoint_auth_method: 'client_secret_post' },
      { token_endpoint_auth_method: 'none' },
    ],
    [
      'ES256 to RS256',
      { token_endpoint_auth_signing_alg: 'ES256' },
      { token_endpoint_auth_signing_alg: 'RS256' },
    ],
    [
      'EdDSA to RS512',
      { token_endpoint_auth_signing_alg: 'EdDSA' },
      { token_endpoint_auth_signing_alg: 'RS512' },
    ],
    [
      'PS256 to HS256',
      { token_endpoint_auth_signing_alg: 'PS256' },
      { token_endpoint_auth_signing_alg: 'HS256' },
    ],
    [
      'RS256 to none',
      { token_endpoint_auth_signing_alg: 'RS256' },
      { token_endpoint_auth_signing_alg: 'none' },
    ],
    ['ES256 pin dropped', { token_endpoint_auth_signing_alg: 'ES256' }, {}],
    ['refresh_token grant added', { grant_types: ['authorization_code'] }, {}],
  ];
  for (const [name, before, after] of downgrades) {
    it(`${name} is a downgrade`, () => {
      const change = classify(before, after);
      assert.equal(change.outcome, 'downgrade', JSON.stringify(change.findings));
      assert.equal(change.findings.length, 1);
    });
  }

  it('names what weakened, from what to what', () => {
    const [finding] = classify(
      { token_endpoint_auth_signing_alg: 'ES256' },
      { token_endpoint_auth_signing_alg: 'RS256' },
    ).findings;
    assert.deepEqual(finding, {
      field: 'token_endpoint_auth_signing_alg',
      direction: 'downgrade',
      consequence: 'downgrade',
      reason: 'token_endpoint_auth_signing_alg weakened from ES256 to RS256',
    });
    assert.equal(
      classify({ dpop_bound_access_tokens: true }, {}).findings[0]!.reason,
      'DPoP-bound access tokens no longer required',
    );
  });

  const upgrades: [string, Partial<ComparedMetadata>, Partial<ComparedMetadata>][] = [
    ['DPoP binding added', {}, { dpop_bound_access_tokens: true }],
    ['PAR now required', {}, { require_pushed_authorization_requests: true }],
    ['native to web', { application_type: 'native' }, { application_type: 'web' }],
    ['none to private_key_jwt', {}, { token_endpoint_auth_method: 'private_key_jwt' }],
    [
      'RS256 to ES256',
      { token_endpoint_auth_signing_alg: 'RS256' },
      { token_endpoint_auth_signing_alg: 'ES256' },
    ],
    [
      'ES256 to EdDSA (as strong)',
      { token_endpoint_auth_signing_alg: 'ES256' },
      { token_endpoint_auth_signing_alg: 'EdDSA' },
    ],
    ['RS256 pin dropped (unset ranks with RS*)', { token_endpoint_auth_signing_alg: 'RS256' }, {}],
    ['refresh_token grant removed', {}, { grant_types: ['authorization_code'] }],
  ];
  for (const [name, before, after] of upgrades) {
    it(`${name} is kept`, () => {
      assert.equal(classify(before, after).outcome, 'keep');
    });
  }

  it('ranks signing algorithms: an unknown one is not assumed strong', () => {
    assert.deepEqual(
      ['ES256', 'PS384', 'EdDSA', 'Ed25519', 'RS256', undefined, 'HS256', 'none', 'ES256K'].map(
        signingAlgStrength,
      ),
      [2, 2, 2, 2, 1, 1, 0, 0, 0],
    );
  });
});

describe('document change policy: scope, cosmetic and other fields', () => {
  it('keeps a widened or narrowed scope: consent and the tier ceiling bound it', () => {
    const widened = classify({ scope: 'mcp:read' }, { scope: 'mcp:read mcp:write' });
    assert.deepEqual(summary(widened.findings), ['scope widened keep']);
    assert.deepEqual(summary(classify({ scope: 'a b' }, { scope: 'a' }).findings), ['scope narrowed keep']);
    assert.deepEqual(summary(classify({ scope: 'a' }, {}).findings), ['scope widened keep']);
    assert.deepEqual(summary(classify({ scope: 'a' }, { scope: 'b' }).findings), ['scope changed keep']);
    assert.equal(classify({ scope: 'a b' }, { scope: 'b  a' }).outcome, 'unchanged');
  });

  it('calls names, logos and links cosmetic', () => {
    const change = classify(
      { logo_uri: 'https://client.example/a.png' },
      {
        client_name: 'A new name',
        logo_uri: 'https://client.example/b.png',
        client_uri: 'https://client.example/',
        tos_uri: 'https://client.example/tos',
        policy_uri: 'https://client.example/policy',
      },
    );
    assert.equal(change.outcome, 'cosmetic');
    assert.deepEqual(change.findings.map((finding) => finding.field).sort(), [
      'client_name',
      'client_uri',
      'logo_uri',
      'policy_uri',
      'tos_uri',
    ]);
  });

  it('keeps any other field that changed (software_id: the rules decide again on it)', () => {
    assert.deepEqual(summary(classify({ software_id: 'a' }, { software_id: 'b' }).findings), [
      'software_id changed keep',
    ]);
  });

  it('reports nothing for the same metadata', () => {
    assert.deepEqual(classify({ jwks: { keys: [KEY_A] } }, { jwks: { keys: [KEY_A] } }), {
      outcome: 'unchanged',
      findings: [],
    });
  });
});

describe('document change policy: the outcome', () => {
  it('is the most severe finding', () => {
    const finding = (consequence: ChangeConsequence): DocumentChangeFinding => ({
      field: 'f',
      direction: 'changed',
      consequence,
      reason: 'r',
    });
    assert.equal(mostSevere([]), 'unchanged');
    assert.equal(mostSevere([finding('cosmetic'), finding('keep')]), 'keep');
    assert.equal(mostSevere([finding('hold'), finding('downgrade'), finding('cosmetic')]), 'hold');
    assert.equal(mostSevere([finding('keep'), finding('downgrade')]), 'downgrade');
  });

  it('holds a foreign redirect and a DPoP downgrade together, listing both', () => {
    const change = classify(
      { dpop_bound_access_tokens: true },
      { client_name: 'New', redirect_uris: ['https://client.example/callback', 'https://evil.example/cb'] },
    );
    assert.equal(change.outcome, 'hold');
    assert.deepEqual(summary(change.findings), [
      'redirect_uris added hold',
      'dpop_bound_access_tokens downgrade downgrade',
      'client_name changed cosmetic',
    ]);
  });
});
