/**
 * The pages rewritten for people (issue #15 items 3 and 4): the consent sentence, scope words from
 * the configuration, the error page's client_id and request id (the same as on the log line), the
 * operator's colour and logo, and every word from the message catalogue.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { isPage } from '../../../test/support/user-agent.ts';
import { ConfigurationError } from '../src/config/configuration-error.ts';
import { createLogger } from '../src/logger.ts';
import { messagesFor } from '../src/messages/catalogue.ts';
import { consentPage } from '../src/pages/consent-page.ts';
import { createTestServer, ISSUER, PASSWORD, RESOURCE } from './support/test-server.ts';

const atClient = (location: string) => !location.startsWith(`${ISSUER}/`);

describe('pages for people', () => {
  it('consent: one sentence with the verified identity first, the claimed name on its own labelled line, scopes in words', async () => {
    const t = await createTestServer({
      serviceName: 'Example Accounts',
      resources: [
        {
          uri: RESOURCE,
          scopes: ['mcp:tools', 'mcp:admin'],
          name: 'Example MCP',
          scopeDescriptions: { 'mcp:admin': 'change <the> settings of Example MCP' },
        },
      ],
    });
    const client = (await t.store.clients.get('public-app'))!;
    await t.store.clients.put({ ...client, metadata: { ...client.metadata, client_name: 'Notes' } });
    const ua = t.userAgent();
    const login = await ua.navigate(t.authorizationUrl({ scope: 'mcp:tools mcp:admin' }), atClient);
    assert.ok(isPage(login));
    const consent = await ua.submit(login, { username: 'alice', password: PASSWORD }, atClient);
    assert.ok(isPage(consent));
    assert.match(
      consent.html,
      /<p>The application <code>public-app<\/code> wants to use your account <strong>alice<\/strong> on Example Accounts <span class="muted">\(trusted\)<\/span>\.<\/p>/,
    );
    assert.match(
      consent.html,
      /<p class="claim"><span>It calls itself “Notes” <span class="label">\(its own claim, not verified\)<\/span><\/span><\/p>/,
    );
    assert.match(consent.html, /<code>mcp:tools<\/code>: use the tools this server offers, as you<\/li>/);
    assert.match(consent.html, /<code>mcp:admin<\/code>: change &lt;the&gt; settings of Example MCP<\/li>/);
  });

  it('consent: a document client is named by its host, its client_id on a line below', async () => {
    const page = await consentPage({
      action: `${ISSUER}/interaction/x/consent`,
      csrfToken: 'token',
      clientId: 'https://notes.example.com/oauth/client-metadata.json',
      clientHost: 'notes.example.com',
      clientName: '<script>',
      logoSrc: `${ISSUER}/client-logo/abc`,
      redirectHost: 'notes.example.com',
      loopbackOnly: false,
      tier: { name: 'verified-domain', statement: messagesFor().tiers['verified-domain'].statement },
      scopes: [],
      resources: [],
      username: 'alice',
      serviceName: 'Gatehouse',
    });
    const html = await page.text();
    assert.match(
      html,
      /<p><strong>notes\.example\.com<\/strong> wants to use your account <strong>alice<\/strong> on Gatehouse <span class="muted">\(verified domain\)<\/span>\.<\/p>/,
    );
    assert.match(
      html,
      /<p class="claim"><img src="[^"]+" alt="" width="48" height="48"><span>It calls itself “&lt;script&gt;”/,
    );
    assert.ok(html.indexOf('<strong>notes.example.com</strong>') < html.indexOf('<img'), 'verified first');
    assert.match(
      html,
      /Its client_id: <code>https:\/\/notes\.example\.com\/oauth\/client-metadata\.json<\/code>/,
    );
  });

  it('error page: the client_id the request named, and the request id that is on its log line', async () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().trim().split('\n')) lines.push(JSON.parse(line));
        done();
      },
    });
    const t = await createTestServer({ logger: createLogger({ level: 'info', destination }) });
    const response = await t.send(
      t.authorizationUrl({ client_id: 'public-app', redirect_uri: 'https://elsewhere.example.test/<cb>' }),
    );
    assert.equal(response.status, 400);
    const html = await response.text();
    assert.match(html, /Application \(client_id as the request named it\): <code>public-app<\/code>/);
    const reference = /Reference: <code>([^<]+)<\/code>/.exec(html)?.[1];
    assert.ok(reference);
    const line = lines.find((entry) => entry.msg === 'request' && entry.request_id === reference);
    assert.ok(line, 'the log line carries the reference the page shows');
    assert.equal(line.client_id, 'public-app');
    assert.equal(line.reason, 'redirect_uri_mismatch');
    assert.doesNotMatch(
      html,
      /elsewhere\.example\.test\/<cb>/,
      'the unverified redirect_uri is never echoed raw',
    );
  });

  it('theme: the primary colour on every page and the logo served from this origin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-theme-'));
    const logo = join(dir, 'logo.svg');
    writeFileSync(logo, '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    const t = await createTestServer({ theme: { primaryColor: '#0a5c36', logoFile: logo } });
    const login = await t.userAgent().navigate(t.authorizationUrl(), atClient);
    assert.ok(isPage(login));
    assert.match(login.html, /:root\{--primary:#0a5c36\}/);
    assert.match(login.html, /<header><img src="https:\/\/as\.example\.test\/theme\/logo" alt="">/);
    const served = await t.send(`${ISSUER}/theme/logo`);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get('content-type'), 'image/svg+xml');
    assert.equal(served.headers.get('content-security-policy'), "default-src 'none'; sandbox");
    const again = await t.send(`${ISSUER}/theme/logo`, {
      headers: { 'if-none-match': served.headers.get('etag')! },
    });
    assert.equal(again.status, 304);
  });

  it('theme: a colour that is not #rrggbb, or a logo that cannot be read, stops the start naming the key', async () => {
    await assert.rejects(
      createTestServer({ theme: { primaryColor: 'red;}body{display:none' } }),
      (error) => error instanceof ConfigurationError && /^theme\.primaryColor: /.test(error.message),
    );
    await assert.rejects(
      createTestServer({ theme: { logoFile: '/nonexistent/logo.png' } }),
      (error) =>
        error instanceof ConfigurationError && /^theme\.logoFile: cannot be read/.test(error.message),
    );
    await assert.rejects(
      createTestServer({ theme: { logoFile: '/etc/hostname' } }),
      (error) =>
        error instanceof ConfigurationError && /^theme\.logoFile: must be a \.png/.test(error.message),
    );
  });

  it('catalogue: English for any locale until another is added', () => {
    assert.equal(messagesFor('de-AT'), messagesFor());
    assert.equal(messagesFor().layout.lang, 'en');
  });
});
