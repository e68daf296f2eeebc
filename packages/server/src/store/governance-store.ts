import type { ApprovalState, TrustTier } from '@gatehouse-oauth/core';

/**
 * What operators decided about clients (issue #13), kept so it survives restarts and reaches every
 * instance: rules stored through the CLI, the admin API and the console (rules from the
 * configuration file are not stored, they are read with it), holds the server placed on clients
 * whose document changed suspiciously, and access requests: who tried to use a client that awaits
 * approval, and when.
 *
 * Every write is followed by a `governance` change on the client change feed, so that each
 * instance reloads what it holds (clients/client-change-listener.ts); the store itself publishes
 * nothing.
 */
export interface StoredRule {
  /** The selector in its one spelling (`formatClientSelector`); the rule's key. */
  selector: string;
  state?: ApprovalState | undefined;
  tier?: TrustTier | undefined;
  /** Who answers for the clients it selects (a team, an address): the inventory shows it. */
  owner?: string | undefined;
  /** Why: a block's reason, an approval's note. */
  note?: string | undefined;
  /** The actor who last wrote it (`cli:<user>`, `admin-token:<id>`, `console:<user>`). */
  updatedBy: string;
  createdAt: number;
  updatedAt: number;
}

/** A client put back to pending by the server itself, with why (a suspicious document change). */
export interface ClientHold {
  clientId: string;
  reason: string;
  at: number;
}

/** Attempts by one user to use one client that awaits approval (or is not admitted). */
export interface AccessRequest {
  clientId: string;
  userId: string;
  /** The client's name when the attempt was made, for the operator's list (may be absent). */
  clientName?: string | undefined;
  firstAt: number;
  lastAt: number;
  attempts: number;
}

/**
 * Contract:
 * - `putRule` inserts or wholly replaces the rule with that selector and returns the rule it
 *   replaced (undefined when new), atomically: two concurrent writers each see the other's rule or
 *   none, never a mix. `deleteRule` returns the rule it deleted.
 * - `listRules` is ordered by selector.
 * - `hold` inserts or replaces the hold of a client; `release` returns whether one existed.
 * - `recordAccessRequest` counts one attempt of (clientId, userId): the first creates the request
 *   with attempts 1 and firstAt = lastAt = at; later ones add 1 and move lastAt (and clientName,
 *   when given). Concurrent attempts are all counted.
 * - `listAccessRequests` is ordered by lastAt, newest first; `clearAccessRequests` deletes a
 *   client's requests (when it is approved or blocked) and returns how many.
 */
export interface GovernanceStore {
  listRules(): Promise<StoredRule[]>;
  putRule(rule: StoredRule): Promise<StoredRule | undefined>;
  deleteRule(selector: string): Promise<StoredRule | undefined>;
  listHolds(): Promise<ClientHold[]>;
  hold(hold: ClientHold): Promise<void>;
  release(clientId: string): Promise<boolean>;
  recordAccessRequest(request: {
    clientId: string;
    userId: string;
    clientName?: string | undefined;
    at: number;
  }): Promise<void>;
  listAccessRequests(options?: { clientId?: string; limit?: number }): Promise<AccessRequest[]>;
  clearAccessRequests(clientId: string): Promise<number>;
}
