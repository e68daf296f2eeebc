import type { ClientMetadata } from '@gatehouse-oauth/core';

/** Where a client came from (CIMD-CO-2: provenance is a recorded fact, never guessed from the id). */
export type ClientKind = 'static' | 'dcr' | 'cimd' | 'workload';

export interface ClientRecord {
  clientId: string;
  kind: ClientKind;
  /** Validated metadata, never containing client_secret. */
  metadata: ClientMetadata;
  /** SHA-256 digest (base64url) of the client secret, for confidential secret-based clients. */
  secretDigest?: string;
  /** When the secret stops being accepted; undefined means never (RFC 7591 client_secret_expires_at = 0). */
  secretExpiresAt?: number;
  createdAt: number;
  updatedAt: number;
  /** Dynamic registrations (RFC 7591/7592): what the registration endpoint keeps beyond the metadata. */
  registration?: ClientRegistration;
  /** When the client last obtained a token (written at most once an hour); unused DCR clients are reaped. */
  lastUsedAt?: number;
}

export interface ClientRegistration {
  /** SHA-256 digest of the RFC 7592 registration access token. */
  accessTokenDigest: string;
  /** The software statement the client registered with, echoed unchanged (RFC 7591 §3.2.1). */
  softwareStatement?: string;
  /**
   * "The same software from the same place": a digest of software_id and the redirect set, so a
   * client that registers again on every connect is recognised instead of piling up records.
   */
  fingerprint?: string;
  /** Id of the initial access token that allowed the registration, if any. */
  initialAccessTokenId?: string;
  /**
   * An installation registration (issue #17 item 2, decision 0046): the client_id of the shared
   * (recognised) record this registrant's registration belongs to. Set only by the registration
   * endpoint; an RFC 7592 update that changes the metadata removes it.
   */
  sharedRegistration?: string;
  /**
   * A shared record made since decision 0046: its registration access token is a random value
   * nobody holds, and its registrants use their installations' client_ids, never this one. Absent
   * on shared records made before, whose client_id their registrants use in their flows.
   */
  installationsOnly?: boolean;
}

/**
 * Contract: `put` inserts or wholly replaces the record for its clientId (last writer wins; no
 * merge). `delete` returns whether a record existed. `list` is ordered by clientId, paged by `after`.
 * `findByFingerprint` returns the newest live registration with that fingerprint. `touch` sets
 * lastUsedAt. `reapRegistrations` deletes, in one pass, DCR clients never used and created before
 * `neverUsedCreatedBefore`, and DCR clients last used before `idleSince`; it returns the deleted ids
 * (at most `limit`) so the caller can revoke and audit. A shared record that an installation names
 * is never reaped: it is not used itself, its installations are (decision 0046).
 */
export interface ClientStore {
  get(clientId: string): Promise<ClientRecord | undefined>;
  put(record: ClientRecord): Promise<void>;
  delete(clientId: string): Promise<boolean>;
  list(options?: { limit?: number; after?: string }): Promise<ClientRecord[]>;
  findByFingerprint(fingerprint: string): Promise<ClientRecord | undefined>;
  touch(clientId: string, now: number): Promise<void>;
  reapRegistrations(criteria: {
    neverUsedCreatedBefore: number;
    idleSince: number;
    limit: number;
  }): Promise<string[]>;
  /**
   * The client_ids of the installation registrations of a shared record (records whose
   * `registration.sharedRegistration` is `sharedClientId`), ordered by client_id and paged by
   * `after`. One indexed read; no consistency with concurrent writes beyond a single read's.
   */
  listInstallations(sharedClientId: string, options?: { limit?: number; after?: string }): Promise<string[]>;
  /**
   * Writes an installation record (as `put`) only while the shared record it names exists; returns
   * false, writing nothing, when it does not. Atomic against `deleteUnlessInstallations` on that
   * shared record: of the two racing, either the installation is written and the shared record
   * stays, or the shared record is deleted and the installation is not written — never an
   * installation of a deleted record.
   */
  putInstallation(record: ClientRecord & { registration: { sharedRegistration: string } }): Promise<boolean>;
  /**
   * Writes a new shared record (one with `registration.fingerprint`) unless a registration with
   * that fingerprint exists; returns the record that holds the fingerprint: the one found (writing
   * nothing) or the one given. Atomic across instances: of first registrations of one software
   * racing, exactly one writes its shared record and the others get it (decision 0046).
   */
  putShared(record: ClientRecord & { registration: { fingerprint: string } }): Promise<ClientRecord>;
  /**
   * Deletes the record only when no installation names it; returns whether it deleted it. Atomic
   * against `putInstallation` (above).
   */
  deleteUnlessInstallations(clientId: string): Promise<boolean>;
}
