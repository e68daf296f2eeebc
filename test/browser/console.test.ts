/**
 * The admin console in headless Chromium (issue #15, docs/console.md): an admin signs in, approves
 * a pending CIMD client from the access requests page and the user's flow then completes
 * (oauth4webapi redeems the code); opens a client and reads the diff between two versions of its
 * document; blocks the client's domain from the domains page and the client's refresh then fails.
 * axe-core (WCAG 2.1 A/AA) runs on every console page, at 1280 px and at 390 px, where the page
 * must not scroll sideways. With GATEHOUSE_SCREENSHOTS=1 the same run writes docs/console/*.png.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { authorizeInBrowser } from '../support/authorize-in-browser.ts';
import { discover } from '../support/discover.ts';
import type { TestDeployment } from '../support/gatehouse-over-tls.ts';
import { authorizationUrl, LOGIN, type McpDeployment, startMcpDeployment } from '../support/mcp-stand-in.ts';
import { clientOptions, redeemCode, refreshTokens } from '../support/oauth-client.ts';
import type { TestHost } from '../support/test-hosts.ts';
import { isPage, UserAgent } from '../support/user-agent.ts';
import { launchChromium, servedSpkiPin, skipWithoutChromium } from './chromium.ts';

const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const ADMIN = { username: 'root', password: 'an admin password of some length' };
const SCREENSHOTS = process.env.GATEHOUSE_SCREENSHOTS === '1';
const SHOTS_DIR = join(import.meta.dirname, '..', '..', 'docs', 'console');
const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;
const REDIRECT = 'http://127.0.0.1:53682/callback';

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's WCAG 2.1 A/AA rules; the serious and critical violations, described. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE_SOURCE });
  const found = (await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run(context: unknown, options: unknown): Promise<{ violations: unknown[] }> };
      }
    ).axe;
    return (
      await axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      })
    ).violations;
  })) as AxeViolation[];
  return found
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    );
}

async function eventually(check: () => Promise<void>, withinMs = 5000): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() - started > withinMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('the admin console in headless Chromium', { skip: skipWithoutChromium() }, () => {
  let mcp: McpDeployment;
  let host: TestHost;
  let deployment: TestDeployment;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let clientId: string;
  let otherClientId: string;
  let as: oauth.AuthorizationServer;
  let refreshToken: string;

  function publish(path: string, name: string) {
    const id = `${host.origin('client.test')}${path}`;
    host.json(path, {
      client_id: id,
      client_name: name,
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
    return id;
  }

  /** One authorization request of the client, as oauth4webapi's helpers build it. */
  async function authorization(id: string) {
    const verifier = oauth.generateRandomCodeVerifier();
    const url = authorizationUrl(as.authorization_endpoint!, {
      client_id: id,
      redirect_uri: REDIRECT,
      response_type: 'code',
      resource: mcp.mcpResource,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    return { url, verifier };
  }

  /** Every console page is checked by axe and, at 390 px, for sideways scrolling; then photographed. */
  async function check(name: string): Promise<void> {
    for (const [size, viewport] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(viewport);
      assert.deepEqual(await seriousViolations(page), [], `${name} at ${size}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${name} scrolls sideways at ${size} by ${overflow} px`);
      if (SCREENSHOTS)
        await page.screenshot({ path: join(SHOTS_DIR, `${name}-${size}.png`), fullPage: true });
    }
    await page.setViewportSize(VIEWPORTS.desktop);
  }

  before(async () => {
    mcp = await startMcpDeployment(
      {
        governance: { mode: 'approval' },
        cimd: { refresh_cooldown_seconds: 0, fetches_per_second_per_host: 100 },
      },
      ['client.test', 'mcp.test'],
    );
    ({ host, deployment } = mcp);
    const adminId = await deployment.addUser(ADMIN.username, ADMIN.password);
    await deployment.gatehouse.store.users.setAdmin(adminId, true);
    clientId = publish('/app.json', 'Console Test App');
    otherClientId = publish('/other.json', 'Other App');
    as = await discover(deployment);
    browser = await launchChromium([await servedSpkiPin(deployment.issuer, deployment.ca.certPem)]);
    // The console forbids every script; the context lets Playwright inject axe-core anyway.
    context = await browser.newContext({ bypassCSP: true, viewport: VIEWPORTS.desktop });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await mcp?.close();
  });

  it('signs an admin in; the sign-in page and overview pass axe at 1280 and 390 px', async () => {
    await page.goto(`${deployment.issuer}/admin`);
    await page.getByRole('heading', { name: /admin console$/ }).waitFor();
    await check('sign-in');
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.ok(await page.getByRole('img', { name: /Tokens issued and refusals per hour/ }).isVisible());
  });

  it('approves a pending CIMD client from the access requests page; the user flow then completes', async () => {
    const { url, verifier } = await authorization(clientId);
    const ua = new UserAgent(deployment.fetch);
    const atClient = (location: string) => !location.startsWith(`${deployment.issuer}/`);
    const waiting = await ua.submit((await ua.navigate(url.href, atClient)) as never, LOGIN, atClient);
    assert.ok(isPage(waiting) && /awaits approval/.test(waiting.html), 'the user waits for approval');

    await page.getByRole('link', { name: 'Access requests' }).click();
    await page.getByRole('heading', { name: 'Access requests' }).waitFor();
    await check('access-requests');
    const card = page.locator('li.card', { hasText: clientId });
    await card.getByLabel('Tier').selectOption('verified-domain');
    await card.getByRole('button', { name: `Approve ${clientId}` }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Approved ${clientId}` })
      .waitFor();

    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
    await eventually(async () => {
      const callback = await authorizeInBrowser(
        new UserAgent(deployment.fetch),
        url,
        deployment.issuer,
        LOGIN,
      );
      const parameters = oauth.validateAuthResponse(as, client, callback, oauth.expectNoState);
      const tokens = await redeemCode(as, client, oauth.None(), parameters, REDIRECT, verifier, {
        ...clientOptions(deployment),
        additionalParameters: { resource: mcp.mcpResource },
      });
      assert.ok(tokens.refresh_token);
      refreshToken = tokens.refresh_token;
    });
    const approved = await deployment.gatehouse.store.audit.list({ type: 'governance.client_approved' });
    assert.equal(approved[0]?.actor, `console:${ADMIN.username}`);
  });

  it('lists clients, and opens a client to read the diff between two versions of its document', async () => {
    // The server meets the other client (version 1), its document changes, an operator refreshes it (version 2).
    const { url } = await authorization(otherClientId);
    await deployment.fetch(url.href, { redirect: 'manual' });
    host.json('/other.json', {
      client_id: otherClientId,
      client_name: 'Other App, renamed',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
    const { token } = await deployment.gatehouse.server.admin.tokens.issue({ scope: 'write', actor: 'test' });
    const refreshed = await deployment.fetch(
      `${deployment.issuer}/admin/v1/clients/${encodeURIComponent(otherClientId)}/refresh`,
      { method: 'POST', headers: { authorization: `Bearer ${token}` } },
    );
    assert.equal(refreshed.status, 200, await refreshed.text());

    await page.getByRole('link', { name: 'Clients' }).click();
    await page.getByRole('heading', { name: 'Clients' }).waitFor();
    await check('clients');
    await page.getByRole('link', { name: otherClientId }).click();
    await page.getByRole('heading', { name: `Client ${otherClientId}` }).waitFor();
    assert.ok(await page.getByRole('img', { name: 'Document history' }).isVisible());
    await page.getByLabel('From version').selectOption('1');
    await page.getByLabel('To version').selectOption('2');
    await page.getByRole('button', { name: 'Show the differences' }).click();
    await page.getByRole('heading', { name: 'Differences from version 1 to version 2' }).waitFor();
    const row = page.locator('#diff ~ div tr', { hasText: 'client_name' });
    assert.match((await row.textContent()) ?? '', /"Other App"[\s\S]*"Other App, renamed"/);
    await check('client');
  });

  it("blocks the client's domain from the domains page; the client's refresh then fails", async () => {
    await page.getByRole('link', { name: 'Domains' }).click();
    await page.getByRole('textbox', { name: 'Domain' }).fill('client.test');
    await page.getByRole('button', { name: 'Show the domain' }).click();
    await page.getByRole('heading', { name: 'Clients under client.test' }).waitFor();
    assert.ok(await page.getByRole('link', { name: clientId }).isVisible());
    await check('domains');
    await page.getByRole('link', { name: 'Revoke all' }).click();
    await page.getByRole('heading', { name: /^Revoke everything client\.test reaches/ }).waitFor();
    await check('revoke-all');
    await page.goBack();
    await page.getByRole('button', { name: 'Block the domain' }).click();
    await page.getByRole('status').filter({ hasText: 'Blocked domain:client.test' }).waitFor();
    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
    await eventually(async () => {
      await assert.rejects(
        refreshTokens(as, client, oauth.None(), refreshToken, clientOptions(deployment)),
        (error: oauth.ResponseBodyError) =>
          error.error === 'invalid_client' || error.error === 'invalid_grant',
      );
    });
    const blocked = await deployment.gatehouse.store.audit.list({ type: 'governance.client_blocked' });
    assert.equal(blocked[0]?.actor, `console:${ADMIN.username}`);
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await check('overview');
  });

  it('shows the policy with its rules and origins, and the audit log with filters', async () => {
    await page.getByRole('link', { name: 'Policy' }).click();
    await page.getByRole('heading', { name: 'Policy' }).waitFor();
    assert.ok(await page.getByRole('button', { name: 'Delete rule domain:client.test' }).isVisible());
    await check('policy');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.getByLabel('Actor').fill(`console:${ADMIN.username}`);
    await page.getByRole('button', { name: 'Show events' }).click();
    await page.getByRole('cell', { name: 'governance.client_blocked' }).first().waitFor();
    await check('audit-log');
  });

  it('shows the users and one user with connections; disables and enables an account', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await check('users');
    await page.getByRole('link', { name: LOGIN.username, exact: true }).click();
    await page.getByRole('heading', { name: `User ${LOGIN.username}` }).waitFor();
    // Blocking client.test revoked the user's only grant: no connection is left.
    assert.ok(await page.getByText('This user has allowed no client.').isVisible());
    await check('user');
    await page.getByRole('button', { name: `Disable ${LOGIN.username}` }).click();
    await page.getByRole('button', { name: `Enable ${LOGIN.username}` }).click();
    await page.getByRole('button', { name: `Disable ${LOGIN.username}` }).waitFor();
    const events = await deployment.gatehouse.store.audit.list({ actor: `console:${ADMIN.username}` });
    assert.ok(events.some((event) => event.type === 'user.disabled'));
    assert.ok(events.some((event) => event.type === 'user.enabled'));
  });
});
