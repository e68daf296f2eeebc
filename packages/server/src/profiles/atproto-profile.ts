import { OAuthError, type Parameters } from '@gatehouse-oauth/core';
import { definedOnly } from '../config/defined-only.ts';
import { digest } from '../crypto/digest.ts';
import type { AuthorizationServerOptions, Lifetimes, ResourceOptions } from '../options.ts';
import type { ReplayStore } from '../store/store.ts';
import {
  atprotoClientIdGuard,
  atprotoClientPolicy,
  atprotoDocumentValidator,
} from './atproto-client-rules.ts';
import { atprotoScopeRules, checkPermissionScopes } from './atproto-permission-scopes.ts';
import { atprotoPermissionSets } from './atproto-permission-sets.ts';
import type {
  AccountRestriction,
  Profile,
  ProfileDeps,
  ProfileHooks,
  PushedRequestFacts,
} from './profile.ts';

/**
 * The AT Protocol OAuth profile (`profile: 'atproto'`; atproto OAuth spec, docs/requirements.md,
 * AT-1…AT-16; docs/atproto.md; decisions 0016 and 0037). One file maps the profile to settings, like
 * mcp-profile.ts does for MCP, and fills the profile hooks (profiles/profile.ts, decision 0025). Unlike the MCP profile, most of these are MUSTs of the profile: an
 * explicit option that contradicts one (PAR not required, DPoP off, a plain-http issuer…) stops the
 * start with an error naming the requirement, instead of quietly serving something atproto clients
 * will refuse. Where the spec leaves room (lifetimes below the limits, the re-check interval), the
 * operator's value wins.
 */
export const ATPROTO_SCOPE = 'atproto';

const DAY = 24 * 3600;

export const atprotoProfileDefaults = {
  /** AT-10: access tokens SHOULD last < 30 min (≤ 15 if not revocable; ours are, at introspection). */
  maxAccessTokenSeconds: 30 * 60 - 1,
  /** AT-10: sessions and refresh tokens of untrusted public clients ≤ 2 weeks. */
  maxRefreshTokenSeconds: 14 * DAY,
  maxTokenFamilySeconds: 14 * DAY,
  /**
   * AT-10: confidential clients' refresh tokens ≤ 180 days; their sessions may be unlimited, so
   * `confidentialTokenFamilySeconds` has no cap here.
   */
  maxConfidentialRefreshTokenSeconds: 180 * DAY,
  lifetimes: {
    accessTokenSeconds: 300,
    refreshTokenSeconds: 14 * DAY,
    tokenFamilySeconds: 14 * DAY,
    // AT-10, confidential (private_key_jwt) clients: a refresh token unused for 90 days (half the
    // 180-day limit) ends the session; a session in use lasts up to a year, then the user signs in
    // again. Both are the operator's to change within the limits (docs/atproto.md).
    confidentialRefreshTokenSeconds: 90 * DAY,
    confidentialTokenFamilySeconds: 365 * DAY,
  } satisfies Partial<Lifetimes>,
  /** AT-9, AT-11: ES256 is the algorithm every atproto client uses, and the one the profile takes. */
  algorithms: ['ES256'] as readonly string[],
  /** AT-9: how often confidential clients' documents and keys are re-read (seconds). */
  clientKeyRecheckSeconds: 900,
} as const;

/**
 * Options with the atproto profile applied. Pure; the caller's object is not changed. Throws an
 * Error naming the requirement when an explicit option contradicts the profile.
 */
export function withAtprotoProfile(options: AuthorizationServerOptions): AuthorizationServerOptions {
  const refuse = (message: string): never => {
    throw new Error(`profile atproto: ${message}`);
  };

  // AT-12: the issuer is an https origin: no path, no default port, nothing after the host.
  let issuer: URL;
  try {
    issuer = new URL(options.issuer);
  } catch {
    return refuse(`issuer ${options.issuer} is not a URL`);
  }
  if (issuer.protocol !== 'https:' || options.issuer !== issuer.origin) {
    refuse(
      `the issuer must be a plain https origin such as https://auth.example.com (AT-12), not ${options.issuer}`,
    );
  }

  // AT-6: PAR for every client.
  if (options.par?.required === false) refuse('par.required cannot be false: PAR is required (AT-6)');
  // AT-11: DPoP for every client, with server nonces, ES256 among the algorithms.
  const dpop = options.dpop ?? {};
  if (dpop.required === false) refuse('dpop.required cannot be false: DPoP is required (AT-11)');
  if (dpop.requiredAtPar === false) {
    refuse('dpop.requiredAtPar cannot be false: DPoP is required starting from PAR (AT-11)');
  }
  if (dpop.nonce === 'off') refuse('dpop.nonce cannot be off: server nonces are mandatory (AT-11)');
  const dpopAlgorithms = dpop.algorithms ?? atprotoProfileDefaults.algorithms;
  if (!dpopAlgorithms.includes('ES256')) refuse('dpop.algorithms must include ES256 (AT-11)');
  // AT-9: private_key_jwt with ES256.
  const assertionAlgorithms = options.clientAssertionAlgorithms ?? atprotoProfileDefaults.algorithms;
  if (!assertionAlgorithms.includes('ES256')) refuse('clientAssertionAlgorithms must include ES256 (AT-9)');
  // AT-2, AT-12: clients are Client ID Metadata Documents (client_id_metadata_document_supported).
  const cimd = options.cimd ?? {};
  if (cimd.enabled === false)
    refuse('cimd.enabled cannot be false: clients are metadata documents (AT-2, AT-12)');
  if (cimd.allowQuery === true) refuse('cimd.allowQuery cannot be true (AT-2)');
  if (cimd.missingAuthMethod === 'none') {
    refuse('cimd.missingAuthMethod cannot be none: documents state token_endpoint_auth_method (AT-4)');
  }
  // AT-13: CORS on metadata, PAR and token.
  if (options.cors === false) refuse('cors cannot be false: browser clients call PAR and token (AT-13)');

  // AT-10: lifetimes within the profile's limits.
  const lifetimes = { ...atprotoProfileDefaults.lifetimes, ...definedOnly(options.lifetimes) };
  if (lifetimes.accessTokenSeconds > atprotoProfileDefaults.maxAccessTokenSeconds) {
    refuse('lifetimes.accessTokenSeconds must be under 30 minutes (AT-10)');
  }
  if (lifetimes.refreshTokenSeconds > atprotoProfileDefaults.maxRefreshTokenSeconds) {
    refuse('lifetimes.refreshTokenSeconds must be at most 2 weeks (AT-10)');
  }
  if (lifetimes.tokenFamilySeconds > atprotoProfileDefaults.maxTokenFamilySeconds) {
    refuse('lifetimes.tokenFamilySeconds must be at most 2 weeks (AT-10)');
  }
  if (
    lifetimes.confidentialRefreshTokenSeconds !== undefined &&
    lifetimes.confidentialRefreshTokenSeconds > atprotoProfileDefaults.maxConfidentialRefreshTokenSeconds
  ) {
    refuse('lifetimes.confidentialRefreshTokenSeconds must be at most 180 days (AT-10)');
  }
  // AT-10 in every trust tier too: a tier's lifetimes replace the ones above for its clients, public
  // ones included (issue #13, governance/tier-policy.ts).
  for (const [name, tier] of Object.entries(options.governance?.tiers ?? {})) {
    const { accessTokenSeconds = 0, refreshTokenSeconds = 0, tokenFamilySeconds = 0 } = tier ?? {};
    if (accessTokenSeconds > atprotoProfileDefaults.maxAccessTokenSeconds)
      refuse(`governance.tiers.${name}.accessTokenSeconds must be under 30 minutes (AT-10)`);
    if (Math.max(refreshTokenSeconds, tokenFamilySeconds) > atprotoProfileDefaults.maxRefreshTokenSeconds)
      refuse(`governance.tiers.${name}: refresh tokens and sessions of at most 2 weeks (AT-10)`);
  }

  // AT-1, AT-12: the atproto scope is offered by every resource (so it is in scopes_supported), and
  // atproto clients never send `resource`, so there must be a default one: the PDS.
  const resources = (options.resources ?? []).map(atprotoResource);
  if (resources.length === 0) {
    refuse(
      'configure the protected resource (the PDS) under resources; atproto tokens are issued for it (AT-1)',
    );
  }
  const defaultResource = options.defaultResource ?? (resources.length === 1 ? resources[0]!.uri : undefined);
  if (defaultResource === undefined) {
    refuse('set defaultResource: atproto clients do not name a resource in their requests');
  }

  return {
    ...options,
    resources,
    ...(defaultResource === undefined ? {} : { defaultResource }),
    lifetimes,
    par: { ...options.par, required: true },
    dpop: { ...dpop, required: true, requiredAtPar: true, nonce: 'required', algorithms: dpopAlgorithms },
    clientAssertionAlgorithms: assertionAlgorithms,
    cimd: { ...cimd, enabled: true, allowQuery: false, missingAuthMethod: 'reject' },
    // AT-2: clients come by metadata document. DCR stays available only when asked for explicitly
    // (its client_ids never look like URLs, so AT-2's second sentence holds either way).
    registration: { ...options.registration, enabled: options.registration?.enabled ?? false },
    cors: true,
    clientKeyRecheckSeconds:
      options.clientKeyRecheckSeconds ?? atprotoProfileDefaults.clientKeyRecheckSeconds,
    atproto: { loopbackClient: true, ...options.atproto },
  };
}

/**
 * The AT Protocol profile: its defaults and refusals (withAtprotoProfile), and the hooks where its
 * rules join the generic flow (profiles/profile.ts).
 */
export const atprotoProfile: Profile = {
  name: 'atproto',
  applyDefaults: withAtprotoProfile,
  hooks: atprotoHooks,
};

function atprotoHooks(options: AuthorizationServerOptions, deps: ProfileDeps): ProfileHooks {
  const policy = atprotoClientPolicy(options);
  const memory: OneTimeMemory = { replay: options.store.replay, clock: options.clock ?? Date.now };
  const permissionSets = atprotoPermissionSets(options, deps);
  const setsMode = options.atproto?.permissionSets ?? 'resolve';
  return {
    // AT-2: a client_id with a port is refused before its document is fetched.
    clientIdRules: (inner) => atprotoClientIdGuard(inner, policy),
    // AT-4, AT-8: the profile's document rules, before anything is cached.
    validateDocument: (body, url, documentPolicy) =>
      atprotoDocumentValidator(documentPolicy, policy)(body, url),
    // AT-7, AT-1: state and the atproto scope; AT-16: permission scopes well-formed, sets allowed.
    checkAuthorizationRequest: (parameters, redirectable) => {
      checkAtprotoAuthorizationRequest(parameters, redirectable);
      checkPermissionScopes(parameters.get('scope')?.split(' ') ?? [], setsMode, redirectable);
    },
    // AT-16: the permission sets asked for can be resolved (before anything one-time is spent);
    // AT-7: each code_challenge used once, each state once per client.
    acceptPushedRequest: async (request) => {
      await permissionSets.resolveRequested(request.scope);
      await acceptAtprotoPushedRequest(memory, request);
    },
    // AT-14: login_hint restricts the login to that account.
    accountRestriction: hintedAccountRestriction,
    // AT-14: the consent page describes the scopes, a permission set by what it grants (AT-16).
    describeScope: permissionSets.describe,
    // AT-16: permission scopes are offered by the PDS and matched against every ceiling.
    scopeRules: atprotoScopeRules,
    // AT-16: tokens carry a permission set's permissions, as the set is at issue and at refresh.
    tokenScope: permissionSets.tokenScope,
    // AT-10: the token response always carries sub (and scope).
    tokenResponseFields: ({ subject }) => ({ sub: subject }),
    // AT-12: "require_request_uri_registration not false" (RFC 9101's default is false). Only
    // pushed request_uris of our own are accepted, so true is what the server does anyway.
    metadataFields: () => ({ require_request_uri_registration: true }),
  };
}

function atprotoResource(resource: ResourceOptions): ResourceOptions {
  return resource.scopes.includes(ATPROTO_SCOPE)
    ? resource
    : { ...resource, scopes: [ATPROTO_SCOPE, ...resource.scopes] };
}

/**
 * AT-7 and AT-1 on an authorization request (pushed or not), after the generic validation:
 * `state` is required, and the requested scope names `atproto`. Sync; errors may be redirected
 * (the redirect_uri is verified by then).
 */
export function checkAtprotoAuthorizationRequest(parameters: Parameters, redirectable: boolean): void {
  const state = parameters.get('state');
  if (state === undefined || state === '') {
    throw new OAuthError('invalid_request', {
      reason: 'atproto_state_missing',
      description: 'state is required (AT-7)',
      redirectable,
    });
  }
  const scope = parameters.get('scope')?.split(' ') ?? [];
  if (!scope.includes(ATPROTO_SCOPE)) {
    throw new OAuthError('invalid_scope', {
      reason: 'atproto_scope_missing',
      description: 'the scope must include atproto (AT-1, AT-7)',
      redirectable,
    });
  }
}

/**
 * What the profile adds at PAR, after the generic validation and client authentication (AT-7): the
 * code_challenge is used once, and a client's `state` once. (AT-11's DPoP proof from PAR on is
 * `dpop.requiredAtPar`, which the profile turns on: it is checked before client authentication.)
 */
export async function acceptAtprotoPushedRequest(
  memory: OneTimeMemory,
  valid: PushedRequestFacts,
): Promise<void> {
  await rememberCodeChallenge(memory, valid.codeChallenge);
  if (valid.state !== undefined) await rememberState(memory, valid.client.clientId, valid.state);
}

/** Where AT-7's one-time values are remembered: the shared replay store, and the server's clock. */
export interface OneTimeMemory {
  replay: ReplayStore;
  clock: () => number;
}

/** How long a used code_challenge is remembered (AT-7: "for example within 24 h"). */
export const CODE_CHALLENGE_MEMORY_SECONDS = 24 * 3600;

/** How long a client's used `state` is remembered (AT-7 SHOULD), like a code_challenge. */
export const STATE_MEMORY_SECONDS = 24 * 3600;

/**
 * AT-7 SHOULD: "reject a duplicate state". A state is accepted once per client within
 * STATE_MEMORY_SECONDS, remembered in the shared replay store (atomic across instances) under a
 * digest, so the key stays short whatever the client sends. Another client may use the same value.
 */
export async function rememberState(memory: OneTimeMemory, clientId: string, state: string): Promise<void> {
  const now = memory.clock();
  const fresh = await memory.replay.remember(
    `state:${digest(JSON.stringify([clientId, state]))}`,
    now + STATE_MEMORY_SECONDS * 1000,
    now,
  );
  if (!fresh) {
    throw new OAuthError('invalid_request', {
      reason: 'state_reused',
      description: 'this state was already used by this client; make a new one for every request (AT-7)',
    });
  }
}

/**
 * AT-7 MUST: a code_challenge is accepted once. Remembered in the replay store (atomic across
 * instances) when a request is pushed; a second request with the same challenge is refused.
 */
export async function rememberCodeChallenge(memory: OneTimeMemory, codeChallenge: string): Promise<void> {
  const now = memory.clock();
  const fresh = await memory.replay.remember(
    `code-challenge:${codeChallenge}`,
    now + CODE_CHALLENGE_MEMORY_SECONDS * 1000,
    now,
  );
  if (!fresh) {
    throw new OAuthError('invalid_request', {
      reason: 'code_challenge_reused',
      description: 'this code_challenge was already used; make a new PKCE verifier for every request (AT-7)',
    });
  }
}

/**
 * AT-14: "login_hint … SHOULD restrict login to that account". In the profile, a hint restricts the
 * login to the hinted account; a DID is no username, so it does not pre-fill the form.
 */
export function hintedAccountRestriction(loginHint: string | undefined): AccountRestriction | undefined {
  if (loginHint === undefined) return undefined;
  return {
    hint: loginHint,
    prefill: loginHint.startsWith('did:') ? undefined : loginHint,
    matches: (user, subjectOf) => isHintedAccount(subjectOf, loginHint, user),
  };
}

/**
 * Whether a user is the hinted account. atproto clients send a handle or a DID: a local username
 * equal to the hint matches, and a DID matches the user's subject (the configured supplier).
 */
export async function isHintedAccount(
  subjectOf: (userId: string) => Promise<string>,
  hint: string,
  user: { id: string; username: string },
): Promise<boolean> {
  if (user.username === hint) return true;
  return hint.startsWith('did:') && (await subjectOf(user.id)) === hint;
}
