/**
 * Every page a person meets on the way to an application, checked with axe-core in real headless
 * Chromium (WCAG 2.1 A and AA rules): the login page, the consent page, the waiting page of a client
 * that awaits the administrator's approval (issue #13) and the server's own error page.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startTestDeployment, type TestDeployment } from '../support/gatehouse-over-tls.ts';
import { EXAMPLE_RESOURCES, RESOURCE } from '../support/oauth-client.ts';
import { launchChromium, servedSpkiPin, skipWithoutChromium } from './chromium.ts';

const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://app.example.test/callback';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's WCAG 2.1 A/AA rules on the page as it is now; every violation, described. */
async function violations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE_SOURCE });
  const found = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run(context: unknown, options: unknown): Promise<{ violations: unknown[] }> };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations;
  });
  return (found as AxeViolation[]).map(
    (violation) =>
      `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
  );
}

describe('accessibility of the pages people meet (axe-core, WCAG 2.1 AA)', {
  skip: skipWithoutChromium(),
}, () => {
  let deployment: TestDeployment;
  let browser: Browser;

  const authorizeUrl = (clientId: string, redirectUri = REDIRECT) =>
    `${deployment.issuer}/authorize?${new URLSearchParams({
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'mcp:tools',
      resource: RESOURCE,
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
    })}`;

  before(async () => {
    deployment = await startTestDeployment({
      resources: EXAMPLE_RESOURCES,
      governance: { mode: 'approval', rules: [{ selector: 'a11y-approved', state: 'approved' }] },
    });
    for (const clientId of ['a11y-approved', 'a11y-waiting']) {
      await deployment.addClient({
        client_id: clientId,
        client_name: `Accessibility ${clientId}`,
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
      });
    }
    await deployment.addUser('alice', PASSWORD);
    browser = await launchChromium([await servedSpkiPin(deployment.issuer, deployment.ca.certPem)]);
  });

  after(async () => {
    await browser?.close();
    await deployment?.close();
  });

  /**
   * The pages forbid every script (`Content-Security-Policy: default-src 'none'`); the context lets
   * Playwright inject axe-core anyway. The policy itself is asserted in packages/server/test/interaction.test.ts.
   */
  const newPage = async () => (await browser.newContext({ bypassCSP: true })).newPage();

  async function signIn(page: Page, clientId: string): Promise<void> {
    await page.goto(authorizeUrl(clientId));
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('the login page', async () => {
    const page = await newPage();
    await page.goto(authorizeUrl('a11y-approved'));
    await page.getByRole('heading', { name: /^Sign in to / }).waitFor();
    assert.deepEqual(await violations(page), []);
  });

  it('the consent page', async () => {
    const page = await newPage();
    await signIn(page, 'a11y-approved');
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    assert.deepEqual(await violations(page), []);
  });

  it('the waiting page of a client that awaits approval', async () => {
    const page = await newPage();
    await signIn(page, 'a11y-waiting');
    await page.getByRole('heading', { name: 'This application awaits approval' }).waitFor();
    assert.deepEqual(await violations(page), []);
  });

  it('the error page', async () => {
    const page = await newPage();
    const response = await page.goto(authorizeUrl('a11y-approved', 'https://elsewhere.example.test/cb'));
    assert.equal(response?.status(), 400);
    assert.deepEqual(await violations(page), []);
  });
});
