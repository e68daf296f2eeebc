/**
 * The governance of clients on this instance (issue #13): the operator's rules (the configuration
 * file's and the stored ones, merged and marked by origin), the holds the server placed on clients,
 * the admission mode and the trust tiers' policies, held in memory as one snapshot so that a
 * decision is a few map reads on every request. The snapshot is reloaded whenever the client change
 * feed carries a `governance` change (a rule written through the CLI, the admin API or another
 * instance), so a block reaches every instance within one poll.
 */
import {
  type AdmissionDecision,
  decideAdmission,
  type GovernanceMode,
  type GovernanceRule,
  indexRules,
  type RuleIndex,
  type TrustTier,
} from '@gatehouse-oauth/core';
import { LRUCache } from 'lru-cache';
import type { GovernanceConfig, TierPolicy } from '../config/governance-schema.ts';
import type { ServerMetrics } from '../metrics.ts';
import type { ClientHold, ClientRecord, GovernanceStore, StoredRule } from '../store/store.ts';
import { governedClientBeforeFetch, governedClientOf } from './governed-client.ts';

export interface GovernanceSnapshot {
  /** Every rule in force, the file's first, then the stored ones. */
  readonly rules: readonly GovernanceRule[];
  readonly holds: ReadonlyMap<string, ClientHold>;
  /** Whether a rule on what documents declare (`redirect-host:`, `software:`) approves clients. */
  readonly documentRulesMayApprove: boolean;
  /** The decision for a resolved client. */
  decide(client: ClientRecord): AdmissionDecision;
  /**
   * The decision on what the client_id alone says, for a document client before its fetch
   * (governed-client.ts); undefined for other ids, and whenever nothing in force could refuse a
   * client on its id (no `blocked` rule, not allowlist mode). A refusal here costs no DNS query,
   * no connection.
   */
  decideBeforeFetch(clientId: string): AdmissionDecision | undefined;
}

export interface ClientGovernance {
  readonly mode: GovernanceMode;
  /** The snapshot in force; the first call loads it. */
  current(): Promise<GovernanceSnapshot>;
  /** Reads the stored rules and holds again (a `governance` change on the feed, or a write here). */
  reload(): Promise<void>;
  /** The operator's policy for a tier. */
  tierPolicy(tier: TrustTier): TierPolicy;
}

export interface ClientGovernanceDeps {
  store: GovernanceStore;
  config: GovernanceConfig;
  metrics: Pick<ServerMetrics, 'governanceDecisions'>;
}

/** Client_ids whose before-fetch decision one snapshot keeps (a few hundred KiB at most). */
const BEFORE_FETCH_DECISIONS = 4096;

const TIER_KEYS: Record<TrustTier, keyof GovernanceConfig['tiers']> = {
  trusted: 'trusted',
  'verified-domain': 'verifiedDomain',
  'self-asserted': 'selfAsserted',
  local: 'local',
};

export function createClientGovernance(deps: ClientGovernanceDeps): ClientGovernance {
  const { config, metrics } = deps;
  const mode = config.mode;
  const fileRules: GovernanceRule[] = config.rules.map((rule) => ({ ...rule, origin: 'file' }));
  let snapshot: Promise<GovernanceSnapshot> | undefined;

  async function load(): Promise<GovernanceSnapshot> {
    const [stored, holds] = await Promise.all([deps.store.listRules(), deps.store.listHolds()]);
    return buildSnapshot(
      [...fileRules, ...stored.map(storedRuleToRule)],
      new Map(holds.map((hold) => [hold.clientId, hold])),
    );
  }

  function buildSnapshot(rules: GovernanceRule[], holds: Map<string, ClientHold>): GovernanceSnapshot {
    const index: RuleIndex = indexRules(rules);
    const decided = new WeakMap<ClientRecord, AdmissionDecision>();
    // Only a blocked rule or allowlist mode refuses on the id alone; without either (open mode's
    // usual state) the question is not worth asking on every request, nor a cache entry per id.
    const mayRefuseOnId = mode === 'allowlist' || rules.some((rule) => rule.state === 'blocked');
    const decidedBeforeFetch = new LRUCache<string, AdmissionDecision>({
      max: BEFORE_FETCH_DECISIONS,
    });
    const counted = (decision: AdmissionDecision): AdmissionDecision => {
      metrics.governanceDecisions.inc({
        state: decision.state,
        tier: decision.tier,
        enforced: mode === 'report-only' ? 'false' : 'true',
      });
      return decision;
    };
    return {
      rules,
      holds,
      documentRulesMayApprove: rules.some(
        (rule) =>
          rule.state === 'approved' &&
          (rule.selector.startsWith('redirect-host:') || rule.selector.startsWith('software:')),
      ),
      decide(client) {
        // A cached document's record is the same object request after request: decided once per
        // snapshot (and counted once); a new snapshot decides again.
        const known = decided.get(client);
        if (known !== undefined) return known;
        const hold = holds.get(client.clientId);
        const decision = counted(
          decideAdmission({
            client: governedClientOf(client),
            redirectUris: client.metadata.redirect_uris ?? [],
            rules: index,
            mode,
            hold: hold === undefined ? undefined : { reason: hold.reason },
          }),
        );
        decided.set(client, decision);
        return decision;
      },
      decideBeforeFetch(clientId) {
        if (!mayRefuseOnId) return undefined;
        // Asked on every request for a document client, cached or not; the answer depends on the
        // id and this snapshot only. Bounded: the ids are the requester's choice.
        const known = decidedBeforeFetch.get(clientId);
        if (known !== undefined) return known;
        const client = governedClientBeforeFetch(clientId);
        if (client === undefined) return undefined;
        const hold = holds.get(clientId);
        const decision = decideAdmission({
          client,
          redirectUris: [],
          rules: index,
          mode,
          hold: hold === undefined ? undefined : { reason: hold.reason },
        });
        decidedBeforeFetch.set(clientId, decision);
        return decision;
      },
    };
  }

  return {
    mode,
    current() {
      snapshot ??= load().catch((error: unknown) => {
        // Not loaded: the next request tries again rather than every request failing for good.
        snapshot = undefined;
        throw error;
      });
      return snapshot;
    },
    async reload() {
      const next = load();
      // Keep answering from the old snapshot until the new one is read.
      await next;
      snapshot = next;
    },
    tierPolicy: (tier) => config.tiers[TIER_KEYS[tier]],
  };
}

export function storedRuleToRule(rule: StoredRule): GovernanceRule {
  return {
    selector: rule.selector,
    state: rule.state,
    tier: rule.tier,
    origin: 'stored',
    note: rule.note,
  };
}
