/**
 * Installation registrations of a recognised (shared) registration (issue #17 item 2, decision
 * 0046). A public client that names its software and registers with the same metadata as another
 * is recognised (docs/dcr.md): the shared record stays the one entry of that software, but each
 * registrant — the first one included — gets a registration of its own, with its own client_id and
 * registration access token, linked to the shared record. A public client sends nothing
 * installation-specific in its flows, so its own client_id is what ties its grants and tokens to the
 * registrant: RFC 7592 management by one registrant then touches only its own installation
 * (DCR-MG-5, DCR-MG-7), and a second registration never invalidates the first one's token.
 */
import type { RegistrationMetadata } from '@gatehouse-oauth/core';
import type { ServerContext } from '../context.ts';
import { digest, randomToken } from '../crypto/digest.ts';
import type { ClientRecord, ClientRegistration } from '../store/store.ts';
import { registrationFingerprint } from './client-information.ts';

/** What the registration endpoint decided before recognition: the registration to make. */
export interface RecognisableRegistration {
  clientId: string;
  metadata: RegistrationMetadata;
  fingerprint: string;
  /** The registration's fields other than its token and fingerprint (statement, initial access token). */
  registration: Omit<ClientRegistration, 'accessTokenDigest' | 'fingerprint'>;
  now: number;
}

/** The installation made, its token, and the shared record it joined. */
export interface InstallationRegistered {
  record: ClientRecord;
  token: string;
  sharedClientId: string;
  /** Whether the shared record was recognised (false: made now for this first registrant). */
  recognised: boolean;
}

/**
 * How often a registration racing the removal of its shared record makes a new one and tries again;
 * each failed try means the shared record it found was removed in between, which a single
 * registrant cannot cause repeatedly.
 */
const ATTEMPTS = 3;

/**
 * Makes the installation registration of `request`: joins the shared record with its fingerprint,
 * or makes one. A shared record removed between finding it and joining it (its last installation
 * left) is not revived: a new shared record is made, as for a first registrant (store contract of
 * putInstallation).
 */
export async function registerInstallation(
  ctx: ServerContext,
  request: RecognisableRegistration,
): Promise<InstallationRegistered> {
  for (let attempt = 1; ; attempt++) {
    const found = await ctx.store.clients.findByFingerprint(request.fingerprint);
    const { shared, recognised } =
      found?.kind === 'dcr' && found.registration !== undefined
        ? { shared: found, recognised: true }
        : await sharedRecordFor(ctx, request);
    const token = randomToken();
    const record: ClientRecord & { registration: { sharedRegistration: string } } = {
      clientId: request.clientId,
      kind: 'dcr',
      metadata: { client_id: request.clientId, ...request.metadata },
      createdAt: request.now,
      updatedAt: request.now,
      registration: {
        accessTokenDigest: digest(token),
        ...request.registration,
        sharedRegistration: shared.clientId,
      },
    };
    if (await ctx.store.clients.putInstallation(record)) {
      if (recognised) {
        await ctx.audit({
          type: 'client.re_registration_recognised',
          clientId: shared.clientId,
          detail: { installation: record.clientId },
        });
      }
      return { record, token, sharedClientId: shared.clientId, recognised };
    }
    if (attempt >= ATTEMPTS) throw new Error('the shared registration was removed while registering');
  }
}

/**
 * A new shared record: the software's entry in the inventory and the anchor governance rules name.
 * Its registration access token is a random value nobody is given, so no registrant manages it.
 * Written only if no registration holds the fingerprint yet (ClientStore.putShared): a first
 * registration that raced another of the same software joins the record the other made, recognised.
 */
async function sharedRecordFor(
  ctx: ServerContext,
  request: RecognisableRegistration,
): Promise<{ shared: ClientRecord; recognised: boolean }> {
  const clientId = newClientId();
  const record = {
    clientId,
    kind: 'dcr' as const,
    metadata: { client_id: clientId, ...request.metadata },
    createdAt: request.now,
    updatedAt: request.now,
    registration: {
      accessTokenDigest: digest(randomToken()),
      ...request.registration,
      fingerprint: request.fingerprint,
      installationsOnly: true,
    },
  };
  const shared = await ctx.store.clients.putShared(record);
  if (shared.clientId !== clientId) return { shared, recognised: true };
  await ctx.audit({
    type: 'client.registered',
    clientId,
    detail: { shared: true, redirect_uris: request.metadata.redirect_uris },
  });
  return { shared, recognised: false };
}

/**
 * RFC 7592 update of an installation (DCR-MG-6): it stays an installation of its shared record only
 * when the new metadata would be recognised as that software again (the same fingerprint);
 * otherwise it becomes a registration of its own, keeping its client_id and grants. Returns the
 * shared record's client_id to keep, or undefined.
 */
export async function installationStays(
  ctx: ServerContext,
  client: ClientRecord,
  metadata: RegistrationMetadata,
  statementIssuer: string | undefined,
): Promise<string | undefined> {
  const sharedClientId = client.registration?.sharedRegistration;
  if (sharedClientId === undefined || metadata.token_endpoint_auth_method !== 'none') return undefined;
  const shared = await ctx.store.clients.get(sharedClientId);
  const initialAccessTokenId = client.registration?.initialAccessTokenId;
  const fingerprint = registrationFingerprint(metadata, {
    ...(statementIssuer === undefined ? {} : { statementIssuer }),
    ...(initialAccessTokenId === undefined ? {} : { initialAccessTokenId }),
  });
  return shared?.registration?.fingerprint === fingerprint ? sharedClientId : undefined;
}

/**
 * Writes an updated registration; an installation that stays is written only while its shared
 * record exists (else it is written as a registration of its own). Returns the shared record the
 * registration left, if it left one.
 */
export async function writeUpdate(
  ctx: ServerContext,
  record: ClientRecord,
  previousShared: string | undefined,
): Promise<string | undefined> {
  const shared = record.registration?.sharedRegistration;
  if (shared !== undefined && record.registration !== undefined) {
    const registration = { ...record.registration, sharedRegistration: shared };
    if (await ctx.store.clients.putInstallation({ ...record, registration })) return undefined;
    const { sharedRegistration: _gone, ...own } = registration;
    await ctx.store.clients.put({ ...record, registration: own });
    return shared;
  }
  await ctx.store.clients.put(record);
  return previousShared;
}

/**
 * client_ids are random base64url strings with a fixed prefix: never `https://`, `http://` or any
 * `scheme:`, so they can never be mistaken for a CIMD URL (CIMD-CO-1, AT-2).
 */
export function newClientId(): string {
  return `dcr_${randomToken(18)}`;
}
