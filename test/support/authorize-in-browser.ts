import assert from 'node:assert/strict';
import { isPage, type UserAgent } from './user-agent.ts';

/**
 * Walks the authorization flow as a person would: open the authorization URL, sign in on the login
 * form, press Allow on the consent page, and return the URL the browser was finally sent to at the
 * client (its redirect_uri with code or error).
 */
export async function authorizeInBrowser(
  ua: UserAgent,
  authorizationUrl: URL | string,
  issuer: string,
  login: { username: string; password: string },
  decision: 'allow' | 'deny' = 'allow',
): Promise<URL> {
  // Everything the server shows lives under its issuer; any other location is the client.
  const atClient = (location: string) => !location.startsWith(`${issuer}/`);
  let step = await ua.navigate(authorizationUrl.toString(), atClient);
  if (isPage(step) && step.html.includes('name="password"')) {
    step = await ua.submit(step, { username: login.username, password: login.password }, atClient);
  }
  if (isPage(step) && step.html.includes('name="decision"')) {
    step = await ua.submit(step, {}, atClient, decision);
  }
  assert.ok(
    !isPage(step),
    `expected a redirect to the client, got a page (${isPage(step) ? step.status : ''}):\n${isPage(step) ? step.html : ''}`,
  );
  return new URL(step.redirectedTo);
}
