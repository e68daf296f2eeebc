/**
 * The named extension points of docs/extension-points.md: each is called, and what it returns is
 * honoured. (The subject supplier has its own file: subject-supplier.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthError } from '@gatehouse-oauth/core';
import { decodeJwt } from 'jose';
import { authorizeInBrowser } from '../../../test/support/authorize-in-browser.ts';
import type { ClientResolver } from '../src/clients/client-resolver.ts';
import type { AuditEvent } from '../src/store/store.ts';
import { APP_REDIRECT, createTestServer, ISSUER, PASSWORD } from './support/test-server.ts';

describe('extension point: client resolver decorators', () => {
  it('sees every client_id, and its refusal is the answer', async () => {
    const seen: string[] = [];
    const admission = (inner: ClientResolver): ClientResolver => ({
      resolve: async (clientId) => {
        seen.push(clientId);
        if (clientId === 'post-app') {
          throw new OAuthError('invalid_client', {
            reason: 'client_not_admitted',
            description: 'not admitted',
          });
        }
        return inner.resolve(clientId);
      },
    });
    const t = await createTestServer({ clientResolverDecorators: [admission] });
    const admitted = await t.send(t.authorizationUrl());
    assert.equal(admitted.status, 303, 'an admitted client goes on to the login page');
    const refused = await t.send(t.authorizationUrl({ client_id: 'post-app' }));
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /not admitted/);
    assert.deepEqual(seen, ['public-app', 'post-app']);
  });

  it('wraps in order, the first listed outermost', async () => {
    const order: string[] = [];
    const tag =
      (name: string) =>
      (inner: ClientResolver): ClientResolver => ({
        resolve: (clientId) => {
          order.push(name);
          return inner.resolve(clientId);
        },
      });
    const t = await createTestServer({ clientResolverDecorators: [tag('outer'), tag('inner')] });
    await t.send(t.authorizationUrl());
    assert.deepEqual(order, ['outer', 'inner']);
  });
});

describe('extension point: user authentication', () => {
  it('decides the login, and the user it returns is the one the tokens are about', async () => {
    const logins: string[] = [];
    const t = await createTestServer({
      authenticateUser: async ({ username, password }) => {
        logins.push(username);
        return password === 'from-the-directory' ? { id: 'directory-42', username } : undefined;
      },
    });
    // The local password no longer works: the configured authentication replaces it.
    const ua = t.userAgent();
    let page = await ua.navigate(t.authorizationUrl(), (location) => !location.startsWith(`${ISSUER}/`));
    assert.ok('html' in page);
    page = await ua.submit(page, { username: 'alice', password: PASSWORD }, () => false);
    assert.ok('html' in page && page.html.includes('name="password"'), 'the login page again');
    const callback = await authorizeInBrowser(t.userAgent(), t.authorizationUrl(), ISSUER, {
      username: 'bob',
      password: 'from-the-directory',
    });
    const tokens = (await (await t.token(t.redeemParams(callback))).json()) as { access_token: string };
    assert.equal(decodeJwt(tokens.access_token).sub, 'directory-42');
    assert.deepEqual(logins, ['alice', 'bob']);
  });
});

describe('extension point: audit sink', () => {
  it('receives each event with its time; the store gets none when the sink replaces it', async () => {
    const received: AuditEvent[] = [];
    const t = await createTestServer({ auditSink: (event) => void received.push(event) });
    await t.tokensFor();
    const types = received.map((event) => event.type);
    assert.ok(types.includes('login.succeeded'), types.join(', '));
    assert.ok(types.includes('consent.granted'), types.join(', '));
    assert.ok(received.every((event) => typeof event.at === 'number'));
    assert.deepEqual(await t.store.audit.list(), []);
  });

  it('a failing sink loses its event, not the request', async () => {
    const t = await createTestServer({
      auditSink: () => {
        throw new Error('sink down');
      },
    });
    const tokens = await t.tokensFor();
    assert.ok(tokens.access_token.length > 0);
  });

  it('without one, events go to the store', async () => {
    const t = await createTestServer();
    await t.tokensFor();
    assert.equal((await t.store.audit.list({ type: 'login.succeeded' })).length, 1);
  });
});

describe('extension point: consent rendering', () => {
  it('renders the page from the model, and its posted decision is honoured', async () => {
    const models: { scopes: readonly string[]; clientId: string; redirectHost: string }[] = [];
    const t = await createTestServer({
      renderConsent: (model) => {
        models.push(model);
        return new Response(
          `<form method="post" action="${model.action}"><input type="hidden" name="csrf" value="${model.csrfToken}"><button name="decision" value="allow">Yes</button><button name="decision" value="deny">No</button></form><p>our own consent page</p>`,
          { headers: { 'content-type': 'text/html' } },
        );
      },
    });
    const callback = await t.authorize();
    assert.ok(callback.searchParams.has('code'), 'the allow of the custom page issued a code');
    assert.equal(callback.origin + callback.pathname, APP_REDIRECT);
    assert.equal(models.length, 1);
    assert.deepEqual(models[0]!.scopes, ['mcp:tools']);
    assert.equal(models[0]!.clientId, 'public-app');
    assert.equal(models[0]!.redirectHost, 'app.example.test');
    const denied = await authorizeInBrowser(
      t.userAgent(),
      t.authorizationUrl({ scope: 'mcp:admin' }),
      ISSUER,
      { username: 'alice', password: PASSWORD },
      'deny',
    );
    assert.equal(denied.searchParams.get('error'), 'access_denied');
  });
});
