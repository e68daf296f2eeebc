/**
 * What the governance operations (./governance-admin.ts) offer every surface — the CLI, the admin
 * API and the console — and what they answer: the contract, apart from how it is carried out.
 */
import type { AdmissionDecision, GovernanceRule, TrustTier } from '@gatehouse-oauth/core';
import type { CascadeResult } from '../clients/client-lifecycle.ts';
import type { AccessRequest, ClientHold, StoredRule } from '../store/store.ts';

/** Who acts: `cli:<os user>`, `admin-token:<id>`, `console:<user>`. */
export interface GovernanceActor {
  actor: string;
}

/** A rule as the surfaces list it: the file's and the stored ones, each marked by origin. */
export interface ListedRule extends GovernanceRule {
  owner?: string | undefined;
  updatedBy?: string | undefined;
  updatedAt?: number | undefined;
}

export interface RuleChange {
  /** The selector in its one spelling. */
  selector: string;
  before: StoredRule | undefined;
  after: StoredRule | undefined;
  /** Whether the call changed anything (a rule, a hold, access requests, grants): then it was audited. */
  changed: boolean;
  /**
   * The configuration file's rule on the same selector, when there is one: it applies beside the
   * stored rule (equally specific, so the safer state wins), which a surface should say.
   */
  fileRule?: ListedRule | undefined;
}

export interface BlockResult extends RuleChange {
  /** Each stored client the rule selects, with what revoking it ended. */
  revoked: { clientId: string; result: CascadeResult }[];
}

export interface GovernanceAdmin {
  /** `target` is a client_id or a selector; throws `invalid_selector` when it cannot be parsed. */
  approve(
    target: string,
    options: GovernanceActor & { tier?: TrustTier; owner?: string; note?: string },
  ): Promise<RuleChange>;
  /** Stores a block and revokes every grant and refresh family of each stored client it selects. */
  block(target: string, options: GovernanceActor & { reason?: string }): Promise<BlockResult>;
  /** Removes the stored block rule (not a file rule: those change with the file). */
  unblock(target: string, options: GovernanceActor): Promise<RuleChange>;
  /** Sets only the tier (and owner) of a stored rule, keeping its state. */
  setTier(target: string, options: GovernanceActor & { tier: TrustTier }): Promise<RuleChange>;
  /** Deletes a stored rule whatever it sets. */
  deleteRule(target: string, options: GovernanceActor): Promise<RuleChange>;
  /** Ends a hold the server placed (a suspicious document change); audited. */
  release(clientId: string, options: GovernanceActor): Promise<boolean>;
  rules(): Promise<ListedRule[]>;
  /** Access requests (newest first) and the clients held for review. */
  pending(): Promise<{ requests: AccessRequest[]; holds: ClientHold[] }>;
  /** What the server decides for a client_id now (stored client or document client). */
  decisionFor(clientId: string): Promise<AdmissionDecision | undefined>;
}
