import {
  type ClientMetadataDiff,
  type DriftFinding,
  detectOwnershipDrift,
  diffClientMetadata,
} from '@gatehouse-oauth/core';
import { placeServerHold } from '../governance/server-hold.ts';
import type { AuditEvent, FetchCertificate, Store } from '../store/store.ts';

/**
 * Ownership drift, applied (issue #14, item 3; decision 0034): each successful fetch of a client's
 * metadata document is weighed against the client's fetch log by core's detectOwnershipDrift, before
 * the fetch itself is logged, and before a new version is used (the fetch log recorder runs this
 * inside the document's validation, so no request is answered from the new version while the
 * client is not yet held). A finding is audited as `client.drift_suspected` (counted by
 * `gatehouse_client_drift_suspected_total`), and `governance.changePolicy.drift` says what follows:
 *
 * - `hold` (default): the client goes back to `pending` with the reasons, through the one server
 *   hold (governance/server-hold.ts: stored, published, reloaded here, audited `client.held` with
 *   reason `client_ownership_drift`). Its `updatedAt` moves too and an `updated` change is
 *   published, so once an operator releases it no grant given to the domain's previous owner
 *   approves silently (authorization/consent-coverage.ts), on any instance.
 * - `report`: the audit event and the metric only.
 *
 * Two instances that fetch the same document in the same moment may both report it; the hold is
 * the same hold either way.
 */
export type DriftResponse = 'hold' | 'report';

export interface OwnershipDriftDeps {
  store: Pick<Store, 'documentFetches' | 'clientDocuments' | 'clients' | 'governance' | 'clientChanges'>;
  clock: () => number;
  audit: (event: Omit<AuditEvent, 'at'>) => Promise<void>;
  /** This instance's governance, read again at once after a hold. */
  governance: { reload(): Promise<void> };
  /** `cimd.driftGoneSeconds`, in milliseconds. */
  goneAfterMs: number;
  /** `governance.changePolicy.drift`. */
  response: DriftResponse;
}

/** What the fetch being weighed saw of the server. */
export interface FetchFacts {
  at: number;
  remoteAddress?: string | undefined;
  tls?: FetchCertificate | undefined;
}

/** The version a 200 brought: its parsed JSON and its digest. Absent for a 304. */
export interface FetchedVersion {
  parsed: unknown;
  digest: string;
}

export interface OwnershipDriftCheck {
  /** Weighs one successful fetch; returns what it found (and has already answered). */
  check(clientId: string, facts: FetchFacts, version?: FetchedVersion): Promise<DriftFinding[]>;
}

/** The actor of what drift does. */
const ACTOR = 'system:ownership-drift';
/** How much of the log the signals look back over: enough for every network and a long outage. */
const EARLIER_FETCHES = 200;

export function createOwnershipDriftCheck(deps: OwnershipDriftDeps): OwnershipDriftCheck {
  /** The diff from the last accepted version to this one, when this one is another. */
  async function diffFrom(clientId: string, version: FetchedVersion | undefined) {
    if (version === undefined) return undefined;
    const latest = await deps.store.clientDocuments.latest(clientId);
    if (latest === undefined || latest.digest === version.digest) return undefined;
    const diff: ClientMetadataDiff = diffClientMetadata(
      JSON.parse(latest.body) as object,
      version.parsed as object,
    );
    return { diff, previousDigest: latest.digest };
  }

  async function hold(clientId: string, findings: DriftFinding[], now: number): Promise<void> {
    await placeServerHold(deps, {
      clientId,
      reason: `the client's domain may have changed hands: ${findings.map((finding) => finding.reason).join('; ')}`,
      at: now,
      actor: ACTOR,
      auditReason: 'client_ownership_drift',
      detail: { signals: findings.map((finding) => finding.signal) },
    });
    const client = await deps.store.clients.get(clientId);
    if (client === undefined) return; // a first version: the resolver stores it, created now
    await deps.store.clients.put({ ...client, updatedAt: now });
    await deps.store.clientChanges.publish({ clientId, kind: 'updated', at: now });
  }

  return {
    async check(clientId, facts, version) {
      const earlier = await deps.store.documentFetches.list(clientId, { limit: EARLIER_FETCHES });
      if (earlier.length === 0) return []; // the first fetch: nothing to drift from
      const changed = await diffFrom(clientId, version);
      const findings = detectOwnershipDrift({
        current: facts,
        earlier,
        diff: changed?.diff,
        goneAfterMs: deps.goneAfterMs,
      });
      if (findings.length === 0) return findings;
      const now = deps.clock();
      await deps.audit({
        type: 'client.drift_suspected',
        clientId,
        actor: ACTOR,
        reason: findings[0]!.signal,
        detail: {
          signals: findings.map((finding) => finding.signal),
          findings: findings.map(({ signal, reason, detail }) => ({ signal, reason, ...detail })),
          response: deps.response,
          ...(version === undefined ? {} : { digest: version.digest }),
          ...(changed === undefined ? {} : { previous_digest: changed.previousDigest }),
        },
      });
      if (deps.response === 'hold') await hold(clientId, findings, now);
      return findings;
    },
  };
}
