/**
 * What the server would decide about a Client ID Metadata Document client, storing nothing (issue
 * #13, item 6): `gatehouse clients preview <url>`, `gatehouse clients add --cimd <url>` and
 * `gatehouse lint` run it, and the admin API can. Everything is decided with what the server itself
 * runs: the client ID URL rules and the profile's client-id rules (before any fetch), the document
 * validation of cimd/document-validation.ts with the `cimd` settings and the profile's rules, the
 * record the resolver would make (cimd/cimd-client-record.ts), and the admission decision on the
 * rules and holds in force (the configuration file's and the stored ones) with the tier's policy.
 *
 * The caller fetches the document (through the hardened fetcher, as the server does) and parses
 * it; no I/O here beyond reading the governance snapshot, and nothing is counted or audited: a
 * preview is not a request.
 */
import {
  type AdmissionDecision,
  type ClientMetadata,
  decideAdmission,
  type Finding,
  type GovernedClient,
  indexRules,
  isOAuthError,
  lintClientIdUrl,
  lintClientMetadataDocument,
  type OAuthError,
  type TrustTier,
} from '@gatehouse-oauth/core';
import { createSafeFetch } from '@gatehouse-oauth/safe-fetch';
import { cimdClientRecord } from '../cimd/cimd-client-record.ts';
import { cimdDocumentPolicy, documentValidator } from '../cimd/document-validation.ts';
import type { CimdSettings } from '../config/cimd-schema.ts';
import type { TierPolicy } from '../config/governance-schema.ts';
import { resolveServerOptions } from '../config/resolve-options.ts';
import { silentLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import type { AuthorizationServerOptions } from '../options.ts';
import type { ProfileHooks } from '../profiles/profile.ts';
import { profileNamed } from '../profiles/profile-registry.ts';
import { type ClientGovernance, createClientGovernance } from './client-governance.ts';
import { governedClientBeforeFetch, governedClientOf } from './governed-client.ts';
import { scopeCeilingOf } from './tier-policy.ts';

/** What a preview is decided with: the server's own settings, hooks and governance. */
export interface ClientPreviewContext {
  /** The resolved `cimd` settings: the document rules they choose (CIMD-URL-6, CIMD-DOC-10). */
  cimd: CimdSettings;
  /** The profile's hooks, as the server applies them to client_ids, documents and scope ceilings. */
  hooks: Pick<ProfileHooks, 'clientIdRules' | 'validateDocument' | 'scopeRules'>;
  /** The admission mode, the rules and holds in force, the tiers' policies. */
  governance: Pick<ClientGovernance, 'mode' | 'current' | 'tierPolicy'>;
  clock: () => number;
}

export interface ClientPreview {
  clientId: string;
  /** Whether the server would accept the document: no finding is an error. */
  valid: boolean;
  /** Errors and warnings: the URL rules, the document rules, the profile's rules. */
  findings: Finding[];
  /** The metadata the server would use (normalised); undefined when the document is refused. */
  metadata: ClientMetadata | undefined;
  /** Whether governance decided on the validated document, or (refused) on the client_id alone. */
  decidedOn: 'document' | 'client_id';
  /** What governance looks at: kind, host, software_id, redirect hosts. */
  governedClient: GovernedClient;
  tier: TrustTier;
  decision: AdmissionDecision;
  /** The tier's scope ceiling narrowed by the document's `scope`; null: no limit at either level. */
  scopeCeiling: string[] | null;
  /** The tier's policy: resources, lifetimes (unset: the server's `lifetimes`), refresh, DPoP, consent. */
  policy: TierPolicy;
}

/**
 * The context for an embedder that holds the options it would start the server with (the CLI):
 * resolved the server's way (a profile refuses what contradicts its MUSTs: the same Error), with
 * governance reading the stored rules and holds from `given.store`.
 */
export function createClientPreviewContext(given: AuthorizationServerOptions): ClientPreviewContext {
  const options = resolveServerOptions(given);
  return {
    cimd: options.cimd,
    // The hooks a preview runs (client-id and document rules) fetch nothing themselves.
    hooks: profileNamed(options.profile).hooks(options, {
      outboundFetch: options.outboundFetch ?? createSafeFetch(),
      clock: options.clock ?? Date.now,
      logger: options.logger ?? silentLogger,
    }),
    // Its own registry: a preview is counted nowhere (and decides without the counter anyway).
    governance: createClientGovernance({
      store: options.store.governance,
      config: options.governance,
      metrics: createMetrics(),
    }),
    clock: options.clock ?? Date.now,
  };
}

/**
 * What the server refuses on the client_id alone, before any fetch: the client ID URL rules
 * (CIMD-URL-*) and the profile's client-id rules (atproto: AT-2). Errors and warnings.
 */
export async function clientIdFindings(context: ClientPreviewContext, clientId: string): Promise<Finding[]> {
  return [
    ...lintClientIdUrl(clientId, cimdDocumentPolicy(context.cimd)),
    ...(await profileIdFindings(context, clientId)),
  ];
}

/** The preview of the document `document` (parsed JSON) fetched from `clientId`. */
export async function previewClient(
  context: ClientPreviewContext,
  clientId: string,
  document: unknown,
): Promise<ClientPreview> {
  const policy = cimdDocumentPolicy(context.cimd);
  // Every finding of the generic rules (the URL's included), then the profile's on the client_id.
  const findings = [
    ...lintClientMetadataDocument(document, clientId, policy).findings,
    ...(await profileIdFindings(context, clientId)),
  ];
  let metadata: ClientMetadata | undefined;
  if (!hasError(findings)) {
    // The validator the server runs before caching: the profile's rules after the generic ones.
    try {
      metadata = documentValidator(context.hooks, policy)(document, clientId);
    } catch (error) {
      if (!isOAuthError(error)) throw error;
      findings.push(refusalFinding(error));
    }
  }
  const valid = metadata !== undefined && !hasError(findings);
  const record = valid ? cimdClientRecord(clientId, metadata!, context.clock()) : undefined;
  const governedClient =
    record === undefined
      ? (governedClientBeforeFetch(clientId) ?? { clientId, kind: 'cimd' })
      : governedClientOf(record);

  // The decision the admission seam makes (governance/admission.ts), on the same snapshot.
  const snapshot = await context.governance.current();
  const hold = snapshot.holds.get(clientId);
  const decision = decideAdmission({
    client: governedClient,
    redirectUris: record?.metadata.redirect_uris ?? [],
    rules: indexRules(snapshot.rules),
    mode: context.governance.mode,
    hold: hold === undefined ? undefined : { reason: hold.reason },
  });
  const policyOfTier = context.governance.tierPolicy(decision.tier);
  // Matched as requests are (atproto: `repo:*` covers `repo:app.bsky.feed.post`, AT-16).
  const ceiling = scopeCeilingOf(
    [policyOfTier.scopes, scopesOf(record?.metadata.scope)],
    context.hooks.scopeRules,
  );
  return {
    clientId,
    valid,
    findings,
    metadata: record?.metadata,
    decidedOn: record === undefined ? 'client_id' : 'document',
    governedClient,
    tier: decision.tier,
    decision,
    scopeCeiling: ceiling ?? null,
    policy: policyOfTier,
  };
}

/**
 * The profile's client-id rules wrap a resolver (profiles/profile.ts); wrapped around one that
 * knows no client, they show what they refuse before any fetch.
 */
async function profileIdFindings(context: ClientPreviewContext, clientId: string): Promise<Finding[]> {
  const rules = context.hooks.clientIdRules;
  if (rules === undefined) return [];
  try {
    await rules({ resolve: async () => undefined }).resolve(clientId);
    return [];
  } catch (error) {
    if (!isOAuthError(error)) throw error;
    return [refusalFinding(error)];
  }
}

/**
 * A profile's refusal as a finding. Its id is the requirement its description cites (`… (AT-4)`),
 * else its reason, which docs/errors.md lists.
 */
function refusalFinding(error: OAuthError): Finding {
  const description = error.description ?? error.reason;
  const cited = /\(([A-Z]+(?:-[A-Z]+)?-\d+)[,)]/.exec(description)?.[1];
  return { level: 'error', id: cited ?? error.reason, reason: error.reason, message: description };
}

function hasError(findings: readonly Finding[]): boolean {
  return findings.some((finding) => finding.level === 'error');
}

function scopesOf(scope: string | undefined): string[] | undefined {
  return scope === undefined ? undefined : scope.split(' ').filter((value) => value !== '');
}
