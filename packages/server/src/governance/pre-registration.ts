/**
 * Pre-registration of a Client ID Metadata Document client (CIMD-CO-3; issue #13, item 6): the operator has
 * the server fetch and validate the document now (governance/client-preview.ts) and records the
 * client approved, before its first user ever signs in. `gatehouse clients add --cimd <url>` runs
 * it; the admin API can.
 *
 * The client is recorded the way the CIMD resolver records a discovered one (the same record, the
 * document as its first version), so the server's first fetch finds the same version and carries
 * on as with any known client: a later change goes through the change policy like every other.
 */
import { type ClientSelector, formatClientSelector, OAuthError, type TrustTier } from '@gatehouse-oauth/core';
import type { Audit } from '../audit/audit-trail.ts';
import { digestOf } from '../cimd/cached-document.ts';
import { cimdClientRecord } from '../cimd/cimd-client-record.ts';
import type { ClientRecord, Store, StoredRule } from '../store/store.ts';
import type { ClientPreview } from './client-preview.ts';

export interface PreRegistrationDeps {
  store: Pick<Store, 'clients' | 'clientDocuments' | 'governance' | 'clientChanges'>;
  clock: () => number;
  audit: Audit;
}

export interface PreRegistration {
  /** The preview of the document as fetched now; only a valid one is recorded. */
  preview: ClientPreview;
  /** The body as fetched, recorded as the document's version (CIMD-FETCH-2). */
  body: Uint8Array;
  /** The response's validators, kept with the version for revalidation. */
  etag?: string | undefined;
  lastModified?: string | undefined;
  tier?: TrustTier | undefined;
  owner?: string | undefined;
  note?: string | undefined;
  /** Who did it: `cli:<os user>`, `admin-token:<id>`, `console:<user>`. */
  actor: string;
}

export interface PreRegistrationResult {
  record: ClientRecord;
  /** False when the client was known already (discovered earlier): its record is kept, only approved. */
  recorded: boolean;
  /** The approval rule for the exact client_id, and the stored rule it replaced. */
  rule: { before: StoredRule | undefined; after: StoredRule };
}

export async function preRegisterCimdClient(
  deps: PreRegistrationDeps,
  input: PreRegistration,
): Promise<PreRegistrationResult> {
  const { preview, actor } = input;
  const { store } = deps;
  const first = preview.findings.find((finding) => finding.level === 'error');
  if (!preview.valid || preview.metadata === undefined) {
    throw new OAuthError('invalid_client', {
      status: 400,
      reason: first?.reason ?? 'cimd_metadata_invalid',
      description: `the client metadata document at ${preview.clientId.slice(0, 200)} was refused: ${first?.message ?? 'invalid'}`,
    });
  }
  const clientId = preview.clientId;
  const now = deps.clock();
  const digest = digestOf(input.body);
  const existing = await store.clients.get(clientId);
  let record = existing;
  if (record === undefined) {
    await store.clientDocuments.record(
      {
        clientId,
        digest,
        body: new TextDecoder().decode(input.body),
        fetchedAt: now,
        headers: {
          ...(input.etag === undefined ? {} : { etag: input.etag }),
          ...(input.lastModified === undefined ? {} : { 'last-modified': input.lastModified }),
        },
      },
      now,
    );
    record = cimdClientRecord(clientId, preview.metadata, now);
    await store.clients.put(record);
  }
  const rule = await approveExactly(deps, clientId, input, now);
  // Every instance reloads its governance snapshot (clients/client-change-listener.ts).
  await store.clientChanges.publish({ clientId, kind: 'governance', at: now });
  await deps.audit({
    type: 'client.added',
    clientId,
    actor,
    detail: {
      kind: 'cimd',
      digest,
      recorded: existing === undefined,
      state: 'approved',
      ...(rule.after.tier === undefined ? {} : { tier: rule.after.tier }),
      ...(rule.after.owner === undefined ? {} : { owner: rule.after.owner }),
    },
  });
  return { record, recorded: existing === undefined, rule };
}

/**
 * The stored approval of exactly this client_id (the most specific selector there is), keeping the
 * tier and owner of a rule it replaces unless new ones are given. The one write of an approval
 * until the operator operations (governance-admin.ts, `approve`) are implemented; this then calls
 * that instead.
 */
async function approveExactly(
  deps: PreRegistrationDeps,
  clientId: string,
  input: PreRegistration,
  now: number,
): Promise<{ before: StoredRule | undefined; after: StoredRule }> {
  const exact: ClientSelector = { type: 'client_id', clientId };
  const selector = formatClientSelector(exact);
  const stored = (await deps.store.governance.listRules()).find((rule) => rule.selector === selector);
  const tier = input.tier ?? stored?.tier;
  const owner = input.owner ?? stored?.owner;
  const note = input.note ?? stored?.note;
  const after: StoredRule = {
    selector,
    state: 'approved',
    ...(tier === undefined ? {} : { tier }),
    ...(owner === undefined ? {} : { owner }),
    ...(note === undefined ? {} : { note }),
    updatedBy: input.actor,
    createdAt: stored?.createdAt ?? now,
    updatedAt: now,
  };
  const before = await deps.store.governance.putRule(after);
  return { before, after };
}
