/**
 * AT Protocol permission scopes (issue #17 item 1, AT-16, decision 0037), the pure parts: which
 * scopes are permissions (read by @atproto/oauth-scopes), how a ceiling covers one, how a request is
 * refused, how a permission set expands into a token's scope, and the consent text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthError } from '@gatehouse-oauth/core';
import { PermissionSetInvalid, permissionSetOf } from '../src/lexicon/permission-set.ts';
import {
  checkPermissionScopes,
  expandPermissionSets,
  isPermissionScope,
  permissionCovers,
} from '../src/profiles/atproto-permission-scopes.ts';
import { describeAtprotoScope, describePermissionSet } from '../src/profiles/atproto-scope-descriptions.ts';
import { CALENDAR, calendarLexicon } from './support/lexicons.ts';

describe('permission scopes: which scopes are permissions', () => {
  it('reads the permission families with the library, and leaves the static scopes plain', () => {
    for (const scope of [
      'repo:app.bsky.feed.post?action=create',
      'repo?collection=app.bsky.feed.like',
      'rpc:app.bsky.feed.getTimeline?aud=did:web:api.bsky.app%23bsky_appview',
      'blob:image/*',
      'account:email?action=manage',
      'identity:handle',
      `include:${CALENDAR}`,
    ]) {
      assert.equal(isPermissionScope(scope), true, scope);
    }
    for (const scope of ['atproto', 'transition:generic', 'mcp:tools', 'repo:not valid', 'rpc:*?aud=*']) {
      assert.equal(isPermissionScope(scope), false, scope);
    }
  });

  it('refuses a malformed permission, and a permission set when sets are refused', () => {
    const refusal = (scopes: string[], mode: 'resolve' | 'refuse') => {
      try {
        checkPermissionScopes(scopes, mode, true);
        return undefined;
      } catch (error) {
        assert.ok(error instanceof OAuthError);
        assert.equal(error.error, 'invalid_scope');
        assert.equal(error.redirectable, true);
        return error.reason;
      }
    };
    assert.equal(
      refusal(['atproto', 'repo:app.bsky.feed.post?action=fly'], 'resolve'),
      'atproto_scope_malformed',
    );
    assert.equal(refusal(['rpc:app.bsky.feed.getTimeline'], 'resolve'), 'atproto_scope_malformed');
    assert.equal(refusal(['atproto', `include:${CALENDAR}`], 'refuse'), 'atproto_permission_sets_off');
    assert.equal(
      refusal(['atproto', `include:${CALENDAR}`, 'mcp:tools', 'transition:generic'], 'resolve'),
      undefined,
    );
  });
});

describe('permission scopes: coverage (requested within a ceiling)', () => {
  const cases: [string, string[], string, boolean][] = [
    ['listed exactly', ['atproto'], 'atproto', true],
    ['a collection within a wildcard', ['repo:*'], 'repo:app.bsky.feed.post?action=create', true],
    [
      'one action within all actions',
      ['repo:app.bsky.feed.post'],
      'repo:app.bsky.feed.post?action=create',
      true,
    ],
    ['the query form', ['repo:app.bsky.feed.post'], 'repo?collection=app.bsky.feed.post&action=delete', true],
    ['an action not granted', ['repo:app.bsky.feed.post?action=create'], 'repo:app.bsky.feed.post', false],
    ['another collection', ['repo:app.bsky.feed.like'], 'repo:app.bsky.feed.post', false],
    ['a wildcard within a collection', ['repo:app.bsky.feed.post'], 'repo:*', false],
    [
      'a method at any service',
      ['rpc:app.bsky.feed.getTimeline?aud=*'],
      'rpc:app.bsky.feed.getTimeline?aud=did:web:api.bsky.app%23bsky_appview',
      true,
    ],
    [
      'a method at another service',
      ['rpc:app.bsky.feed.getTimeline?aud=did:web:a.example%23x'],
      'rpc:app.bsky.feed.getTimeline?aud=did:web:b.example%23x',
      false,
    ],
    ['a type within a range', ['blob:image/*'], 'blob:image/png', true],
    ['a range within a range', ['blob:image/*'], 'blob:image/*', true],
    ['another type', ['blob:image/*'], 'blob:video/mp4', false],
    ['a range within a type', ['blob:image/png'], 'blob:image/*', false],
    ['a range within everything', ['blob:*/*'], 'blob:image/*', true],
    [
      'a range within the same range, listed otherwise',
      ['blob?accept=image/*&accept=video/mp4'],
      'blob:image/*',
      true,
    ],
    ['two ranges within one', ['blob:image/*'], 'blob?accept=image/*&accept=video/*', false],
    ['everything within a range', ['blob:image/*'], 'blob:*/*', false],
    ['reading within managing', ['account:email?action=manage'], 'account:email', true],
    ['managing within reading', ['account:email'], 'account:email?action=manage', false],
    ['the handle within any identity', ['identity:*'], 'identity:handle', true],
    ['a permission set, the same', [`include:${CALENDAR}`], `include:${CALENDAR}`, true],
    [
      'a permission set, another aud',
      [`include:${CALENDAR}?aud=did:web:a.example%23x`],
      `include:${CALENDAR}`,
      false,
    ],
    ['a permission set, by what it might grant', ['repo:*'], `include:${CALENDAR}`, false],
    ['a plain scope not listed', ['transition:generic'], 'transition:email', false],
  ];
  for (const [name, granted, scope, covered] of cases) {
    it(`${covered ? 'covers' : 'does not cover'} ${name}`, () => {
      assert.equal(permissionCovers(granted, scope), covered);
    });
  }
});

describe('permission sets: the Lexicon document and the token scope (AT-16)', () => {
  it('expands a set into its permissions, ignoring unknown entries, inheriting the aud', () => {
    const set = permissionSetOf(calendarLexicon(), CALENDAR);
    const scope = expandPermissionSets(
      ['atproto', `include:${CALENDAR}?aud=did:web:calendar.example.test%23calendar`, 'blob:image/*'],
      () => set,
    );
    assert.deepEqual(scope, [
      'atproto',
      'repo:test.example.calendar.event',
      'rpc:test.example.calendar.getEvents?aud=did:web:calendar.example.test%23calendar',
      'blob:image/*',
    ]);
    // Without an aud to inherit, the rpc entry means nothing and is left out.
    assert.deepEqual(
      expandPermissionSets([`include:${CALENDAR}`], () => set),
      ['repo:test.example.calendar.event'],
    );
  });

  it('refuses a document that is not the permission set asked for', () => {
    const cases: [string, unknown][] = [
      ['not an object', 'text'],
      ['another schema version', { ...calendarLexicon(), lexicon: 2 }],
      ['another id', { ...calendarLexicon(), id: 'test.example.calendar.other' }],
      ['another kind of definition', { lexicon: 1, id: CALENDAR, defs: { main: { type: 'query' } } }],
      ['no permissions', { lexicon: 1, id: CALENDAR, defs: { main: { type: 'permission-set' } } }],
    ];
    for (const [name, document] of cases) {
      assert.throws(() => permissionSetOf(document, CALENDAR), PermissionSetInvalid, name);
    }
  });

  it('keeps the title and detail short', () => {
    const long = calendarLexicon();
    long.defs.main.title = 'x'.repeat(1000);
    assert.equal(permissionSetOf(long, CALENDAR).title?.length, 200);
  });
});

describe('permission scopes in words (AT-14)', () => {
  it('describes each family as the library reads it', () => {
    assert.equal(
      describeAtprotoScope('repo:app.bsky.feed.post?action=create&action=delete'),
      'create and delete records of type app.bsky.feed.post in your repository',
    );
    assert.equal(
      describeAtprotoScope('repo:*'),
      'create, update and delete records of type any kind in your repository',
    );
    assert.equal(
      describeAtprotoScope('rpc:app.bsky.feed.getTimeline?aud=did:web:api.bsky.app%23bsky_appview'),
      'call app.bsky.feed.getTimeline on the service did:web:api.bsky.app#bsky_appview as you',
    );
    assert.equal(
      describeAtprotoScope('blob?accept=image/png&accept=image/jpeg'),
      'upload files (image/png and image/jpeg)',
    );
    assert.equal(describeAtprotoScope('account:email'), "see your account's email address");
    assert.equal(describeAtprotoScope('identity:*'), 'change your identity (handle and DID document)');
    assert.equal(
      describeAtprotoScope('repo:not valid'),
      undefined,
      'what the library does not read is shown by name',
    );
  });

  it('describes a permission set by what it grants, its publisher quoted', () => {
    const set = permissionSetOf(calendarLexicon(), CALENDAR);
    assert.equal(
      describePermissionSet(`include:${CALENDAR}?aud=did:web:calendar.example.test%23calendar`, set),
      'the permission set test.example.calendar.basic, which its publisher calls “Calendar” (“Your calendar events”): ' +
        'create, update and delete records of type test.example.calendar.event in your repository; ' +
        'call test.example.calendar.getEvents on the service did:web:calendar.example.test#calendar as you',
    );
    const empty = permissionSetOf(
      { lexicon: 1, id: CALENDAR, defs: { main: { type: 'permission-set', permissions: [] } } },
      CALENDAR,
    );
    assert.equal(
      describePermissionSet(`include:${CALENDAR}`, empty),
      'the permission set test.example.calendar.basic: it grants nothing this server can read',
    );
  });
});
