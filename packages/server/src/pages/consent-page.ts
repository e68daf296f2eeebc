import type { TrustTier } from '@gatehouse-oauth/core';
import { html } from 'hono/html';
import { pageResponse } from './layout.ts';

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
}

/**
 * Consent. The identity shown first is what the server verified (the client_id and where the
 * answer will be sent: the redirect host, MCP-15 / CIMD-UI-3); the client's own name comes second
 * and is labelled as its claim. Loopback-only clients get a warning: any program on the user's
 * machine can receive that redirect.
 */
/**
 * What the client says about itself, labelled as its own choice (CIMD-UI-2, CIMD-UI-5): it comes
 * after the verified identity and never replaces it. The logo has an empty alt because the text
 * around it already says whose it is.
 */
function claims(model: ConsentPageModel) {
  const logo =
    model.logoSrc === undefined
      ? undefined
      : html`<img src="${model.logoSrc}" alt="" width="48" height="48" style="vertical-align:middle">`;
  if (logo === undefined) {
    return model.clientName === undefined
      ? ''
      : html` <span class="muted">calls itself “${model.clientName}”, a name it chose,</span>`;
  }
  return model.clientName === undefined
    ? html` <span class="muted">shows this logo ${logo}, which it chose itself,</span>`
    : html` <span class="muted">shows this logo ${logo} and calls itself “${model.clientName}”, a logo and a name it chose,</span>`;
}

function describe(model: ConsentPageModel, scope: string) {
  const description =
    model.scopeDescriptions !== undefined && Object.hasOwn(model.scopeDescriptions, scope)
      ? model.scopeDescriptions[scope]
      : undefined;
  return description === undefined ? '' : html`: ${description}`;
}

const TIER_LABELS: Record<TrustTier, string> = {
  trusted: 'trusted',
  'verified-domain': 'verified domain',
  'self-asserted': 'self-asserted',
  local: 'local application',
};

/**
 * The trust tier, stated in words. For a loopback-only client the warning below already says what
 * `local` means (CIMD-UI-3, MCP-15), so its sentence is not repeated.
 */
function trust(model: ConsentPageModel) {
  const tier = model.tier;
  if (tier === undefined) return '';
  const repeated = tier.name === 'local' && model.loopbackOnly;
  return html`<p class="${tier.name === 'local' && !repeated ? 'warn' : 'muted'}" role="note">Trust tier: <strong>${TIER_LABELS[tier.name] ?? tier.name}</strong>.${repeated ? '' : html` ${tier.statement}`}</p>
`;
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

export function consentPage(model: ConsentPageModel): Promise<Response> {
  const body = html`<h1>Allow access?</h1>
${
  model.clientHost === undefined
    ? html`<p>Application <code>${model.clientId}</code>`
    : html`<p>An application from <strong>${model.clientHost}</strong> <span class="muted">(<code>${model.clientId}</code>)</span>`
}${claims(model)} wants access to your account <strong>${model.username}</strong>.</p>
<p>After you answer, you will be sent to <strong>${model.redirectHost}</strong>.</p>
${trust(model)}${
  model.loopbackOnly
    ? html`<p class="warn" role="note">This application receives the answer on your own computer (a loopback address).
Any program running on this computer could be the one asking. Allow only if you just started it yourself.</p>`
    : ''
}
${
  model.resources.length > 0
    ? html`<p>It will be able to use:</p><ul>${model.resources.map((resource) => html`<li>${resource.name ?? resource.uri} <span class="muted">${resource.name === undefined ? '' : resource.uri}</span></li>`)}</ul>`
    : ''
}
${
  model.scopes.length > 0
    ? html`<p>with these permissions${stepUp(model) ? html`, more than you allowed before` : ''}:</p><ul>${model.scopes.map((scope) => html`<li><code>${scope}</code>${describe(model, scope)}${model.alreadyGranted?.includes(scope) ? html` <span class="muted">(already allowed)</span>` : stepUp(model) ? html` <strong>(new)</strong>` : ''}</li>`)}</ul>`
    : ''
}
<form method="post" action="${model.action}">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<button type="submit" name="decision" value="allow" class="primary">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`;
  return pageResponse('Allow access', model.serviceName, body);
}
