import type { TrustTier } from '@gatehouse-oauth/core';
import { html } from 'hono/html';
import { messagesFor } from '../messages/catalogue.ts';
import { type PageTheme, pageResponse } from './layout.ts';

export interface ConsentPageModel {
  action: string;
  csrfToken: string;
  clientId: string;
  /** For a URL client_id (CIMD): its hostname, the part of its identity the server verified (CIMD-UI-2). */
  clientHost?: string;
  /** Self-asserted by the client: shown as such, never as the identity. */
  clientName?: string;
  /**
   * The client's logo, as a URL on this server (CIMD-CACHE-6): never the remote `logo_uri`, which
   * would tell the logo host who is looking at this page. Self-asserted, like the name.
   */
  logoSrc?: string;
  redirectHost: string;
  loopbackOnly: boolean;
  /**
   * The client's trust tier (issue #13, `governance.tiers`) and what it means, in a sentence for the
   * user ("This application runs on your own device; any program there could be asking."). Set by
   * the server on every consent page; optional so that models built elsewhere keep compiling.
   */
  tier?: { name: TrustTier; statement: string };
  scopes: readonly string[];
  /**
   * Step-up (MCP-16): the scopes this installation's grant already holds. Those are marked as
   * already allowed, so the user sees what is new in this request.
   */
  alreadyGranted?: readonly string[];
  /** What each scope lets the client do, in words (AT-14: the atproto profile describes its scopes). */
  scopeDescriptions?: Readonly<Record<string, string>>;
  resources: readonly { uri: string; name?: string }[];
  username: string;
  serviceName: string;
  /** The operator's colour and logo (`theme`); absent: the default look. */
  theme?: PageTheme | undefined;
}

/**
 * What the client says about itself, labelled as its own claim and on a line of its own
 * (CIMD-UI-2, CIMD-UI-5): it comes after the verified identity and never replaces it. The logo has
 * an empty alt because the words beside it already say whose it is.
 */
function claims(model: ConsentPageModel) {
  const words = messagesFor().consent;
  if (model.logoSrc === undefined && model.clientName === undefined) return '';
  const logo =
    model.logoSrc === undefined ? '' : html`<img src="${model.logoSrc}" alt="" width="48" height="48">`;
  return html`<p class="claim">${logo}<span>${model.clientName === undefined ? words.claimedLogo : words.claimedName(model.clientName)}</span></p>
`;
}

function describe(model: ConsentPageModel, scope: string) {
  const description =
    model.scopeDescriptions !== undefined && Object.hasOwn(model.scopeDescriptions, scope)
      ? model.scopeDescriptions[scope]
      : undefined;
  return description === undefined ? '' : html`: ${description}`;
}

/**
 * The trust tier, stated in words. For a loopback-only client the warning below already says what
 * `local` means (CIMD-UI-3, MCP-15), so its sentence is not repeated.
 */
function trust(model: ConsentPageModel) {
  const tier = model.tier;
  if (tier === undefined) return '';
  const words = messagesFor();
  const repeated = tier.name === 'local' && model.loopbackOnly;
  return html`<p class="${tier.name === 'local' && !repeated ? 'warn' : 'muted'}" role="note">${words.consent.trustTier(tierName(tier.name))}${repeated ? '' : html` ${tier.statement}`}</p>
`;
}

function tierName(tier: TrustTier): string {
  return messagesFor().tiers[tier]?.name ?? tier;
}

/** A request for more than an existing grant: some scopes are already allowed, some are new. */
function stepUp(model: ConsentPageModel): boolean {
  const granted = model.alreadyGranted ?? [];
  return granted.length > 0 && model.scopes.some((scope) => !granted.includes(scope));
}

/**
 * Renders the consent page (docs/extension-points.md, "consent rendering"). The page must post
 * `csrf` (= model.csrfToken) and `decision` (`allow` or `deny`) to model.action; anything else it
 * shows is its own choice. The default is consentPage.
 */
export type ConsentRenderer = (model: ConsentPageModel) => Response | Promise<Response>;

/**
 * Consent (issue #15 item 3). One plain sentence first: who asks, by what the server verified (a
 * document client's host, else its client_id; MCP-15, CIMD-UI-3), for which account here, with
 * the trust tier in words; then the client's own name and logo, labelled; where the answer goes;
 * warnings; the resources and each scope in words. Loopback-only clients get a warning: any
 * program on the user's machine can receive that redirect.
 */
export function consentPage(model: ConsentPageModel): Promise<Response> {
  const words = messagesFor().consent;
  const tier = model.tier === undefined ? '' : tierName(model.tier.name);
  const step = stepUp(model);
  const body = html`<h1>${words.heading}</h1>
<p>${
    model.clientHost === undefined
      ? words.wantsFromClientId(model.clientId, model.username, model.serviceName, tier)
      : words.wantsFromHost(model.clientHost, model.username, model.serviceName, tier)
  }</p>
${claims(model)}${model.clientHost === undefined ? '' : html`<p class="muted">${words.clientIdOfHost(model.clientId)}</p>`}
<p>${words.sentTo(model.redirectHost)}</p>
${trust(model)}${model.loopbackOnly ? html`<p class="warn" role="note">${words.loopbackWarning}</p>` : ''}
${
  model.resources.length > 0
    ? html`<p>${words.resourcesIntro}</p><ul>${model.resources.map((resource) => html`<li>${resource.name ?? html`<code>${resource.uri}</code>`} ${resource.name === undefined ? '' : html`<span class="muted">${resource.uri}</span>`}</li>`)}</ul>`
    : ''
}
${
  model.scopes.length > 0
    ? html`<p>${step ? words.scopesIntroStepUp : words.scopesIntro}</p><ul>${model.scopes.map((scope) => html`<li><code>${scope}</code>${model.alreadyGranted?.includes(scope) ? html` <span class="muted">${words.alreadyAllowed}</span>` : step ? html` <strong>${words.added}</strong>` : ''}${describe(model, scope)}</li>`)}</ul>`
    : ''
}
<form method="post" action="${model.action}">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<div class="actions">
<button type="submit" name="decision" value="allow" class="primary">${words.allow}</button>
<button type="submit" name="decision" value="deny">${words.deny}</button>
</div>
</form>`;
  return pageResponse(words.title, model.theme ?? model.serviceName, body);
}
