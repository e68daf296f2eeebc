import { html } from 'hono/html';

/**
 * The consent page (issue #15 item 3; MCP-15, CIMD-UI-2, CIMD-UI-3): one plain sentence with the
 * verified identity first, then what the client says about itself, labelled as its claim.
 */
export const consentMessages = {
  title: 'Allow access',
  heading: 'Allow access?',
  /** A document client: its host is what the server verified. */
  wantsFromHost: (host: string, username: string, serviceName: string, tier: string) =>
    html`<strong>${host}</strong> wants to use your account <strong>${username}</strong> on ${serviceName} <span class="muted">(${tier})</span>.`,
  /** Any other client: its client_id is its identity. */
  wantsFromClientId: (clientId: string, username: string, serviceName: string, tier: string) =>
    html`The application <code>${clientId}</code> wants to use your account <strong>${username}</strong> on ${serviceName} <span class="muted">(${tier})</span>.`,
  clientIdOfHost: (clientId: string) => html`Its client_id: <code>${clientId}</code>`,
  claimedName: (name: string) =>
    html`It calls itself “${name}” <span class="label">(its own claim, not verified)</span>`,
  claimedLogo: html`<span class="label">The logo is its own choice, not verified.</span>`,
  sentTo: (host: string) => html`After you answer, you will be sent to <strong>${host}</strong>.`,
  trustTier: (name: string) => html`Trust tier: <strong>${name}</strong>.`,
  loopbackWarning:
    'This application receives the answer on your own computer (a loopback address). Any program running on this computer could be the one asking. Allow only if you just started it yourself.',
  resourcesIntro: 'It will be able to use:',
  scopesIntro: 'with these permissions:',
  scopesIntroStepUp: 'with these permissions, more than you allowed before:',
  alreadyAllowed: '(already allowed)',
  added: '(new)',
  allow: 'Allow',
  deny: 'Deny',
};
