/**
 * Admin API tokens (issue #13): the bearer credentials of the admin HTTP API. Issued by
 * `gatehouse admin-tokens issue` (or an embedder through `server.admin.tokens`), shown once, stored
 * as a SHA-256 digest only (crypto/digest.ts: a leaked database holds nothing that can be
 * presented), scoped `read` or `write`, optionally expiring, revocable by their public id, and
 * audited with who issued or revoked them. A token is `gha_` and 43 base64url characters, so a
 * secret scanner (or a person) recognises one in a log or a repository.
 *
 * Verification refuses with stable reasons (docs/errors.md, "Admin API"): `admin_token_missing`,
 * `admin_token_invalid` (unknown, or not an admin token at all), `admin_token_expired`,
 * `admin_token_revoked`, all 401 with a Bearer challenge, and `admin_token_scope` (403) for a
 * read token on a write route.
 */
import { OAuthError } from '@gatehouse-oauth/core';
import type { Audit } from '../audit/audit-trail.ts';
import { digest, randomToken } from '../crypto/digest.ts';
import type { AdminTokenRecord, AdminTokenScope, AdminTokenStore } from '../store/store.ts';

export const ADMIN_TOKEN_PREFIX = 'gha_';
/** The realm of every admin API challenge. */
export const ADMIN_REALM = 'gatehouse-admin';
/** Longest label kept; a label is for the operator's list, not a document. */
export const MAX_ADMIN_TOKEN_LABEL = 200;

/** A token as listed: everything but its digest, with its state now. */
export interface AdminTokenView extends Omit<AdminTokenRecord, 'digest'> {
  state: 'active' | 'expired' | 'revoked';
}

export interface IssueAdminToken {
  scope: AdminTokenScope;
  label?: string | undefined;
  /** Lifetime; undefined: it never expires (revoke it when done). */
  expiresInSeconds?: number | undefined;
  /** Who issues it: `cli:<user>`, or an embedder's own name. */
  actor: string;
}

export interface AdminTokens {
  /** The token itself is in the answer only: it is never stored, and cannot be shown again. */
  issue(options: IssueAdminToken): Promise<{ token: string; issued: AdminTokenView }>;
  /** Oldest first, revoked and expired ones included (with their state). */
  list(): Promise<AdminTokenView[]>;
  /** `unknown`: no token has that id; `already_revoked`: nothing changed (and nothing is audited). */
  revoke(id: string, options: { actor: string }): Promise<'revoked' | 'already_revoked' | 'unknown'>;
  /** The record of a presented token that may be used now; throws its refusal otherwise. */
  verify(presented: string): Promise<AdminTokenRecord>;
}

export interface AdminTokenDeps {
  store: AdminTokenStore;
  audit: Audit;
  clock: () => number;
}

export function createAdminTokens(deps: AdminTokenDeps): AdminTokens {
  const { store, audit, clock } = deps;
  return {
    async issue({ scope, label, expiresInSeconds, actor }) {
      if (scope !== 'read' && scope !== 'write') throw new RangeError(`unknown admin token scope ${scope}`);
      if (label !== undefined && (label.length === 0 || label.length > MAX_ADMIN_TOKEN_LABEL))
        throw new RangeError(`an admin token label is 1 to ${MAX_ADMIN_TOKEN_LABEL} characters`);
      if (expiresInSeconds !== undefined && !(Number.isSafeInteger(expiresInSeconds) && expiresInSeconds > 0))
        throw new RangeError('an admin token lifetime is a positive whole number of seconds');
      const now = clock();
      const token = `${ADMIN_TOKEN_PREFIX}${randomToken()}`;
      const record: AdminTokenRecord = {
        id: crypto.randomUUID(),
        digest: digest(token),
        scope,
        createdBy: actor,
        createdAt: now,
        ...(label === undefined ? {} : { label }),
        ...(expiresInSeconds === undefined ? {} : { expiresAt: now + expiresInSeconds * 1000 }),
      };
      await store.insert(record);
      await audit({
        type: 'admin_token.issued',
        actor,
        detail: {
          id: record.id,
          scope,
          ...(label === undefined ? {} : { label }),
          ...(record.expiresAt === undefined ? {} : { expires_at: record.expiresAt }),
        },
      });
      return { token, issued: viewOf(record, now) };
    },

    async list() {
      const now = clock();
      return (await store.list()).map((record) => viewOf(record, now));
    },

    async revoke(id, { actor }) {
      const now = clock();
      if (await store.revoke(id, now)) {
        await audit({ type: 'admin_token.revoked', actor, detail: { id } });
        return 'revoked';
      }
      return (await store.list()).some((record) => record.id === id) ? 'already_revoked' : 'unknown';
    },

    async verify(presented) {
      // Not one of ours: refused without a store read.
      if (!presented.startsWith(ADMIN_TOKEN_PREFIX) || presented.length > 256)
        throw adminTokenRefusal('admin_token_invalid', 'not a valid admin API token');
      const record = await store.findByDigest(digest(presented));
      if (record === undefined) throw adminTokenRefusal('admin_token_invalid', 'not a valid admin API token');
      if (record.revokedAt !== undefined)
        throw adminTokenRefusal('admin_token_revoked', 'this admin API token was revoked');
      if (record.expiresAt !== undefined && record.expiresAt <= clock())
        throw adminTokenRefusal('admin_token_expired', 'this admin API token has expired');
      return record;
    },
  };
}

function viewOf({ digest: _digest, ...record }: AdminTokenRecord, now: number): AdminTokenView {
  const state =
    record.revokedAt !== undefined
      ? 'revoked'
      : record.expiresAt !== undefined && record.expiresAt <= now
        ? 'expired'
        : 'active';
  return { ...record, state };
}

/** 401 `invalid_token` with its Bearer challenge (RFC 6750 §3). */
export function adminTokenRefusal(reason: string, description: string): OAuthError {
  return new OAuthError('invalid_token', {
    reason,
    description,
    headers: {
      'www-authenticate': `Bearer realm="${ADMIN_REALM}", error="invalid_token", error_description="${description}"`,
    },
  });
}

/** No credentials at all: the challenge without an error attribute (RFC 6750 §3.1), the same body. */
export function adminTokenMissing(): OAuthError {
  return new OAuthError('invalid_token', {
    reason: 'admin_token_missing',
    description: 'the admin API needs an admin API token (Authorization: Bearer gha_...)',
    headers: { 'www-authenticate': `Bearer realm="${ADMIN_REALM}"` },
  });
}

/** A read token on a write route: 403 with the scope it lacks (RFC 6750 §3.1). */
export function adminTokenScope(needed: AdminTokenScope): OAuthError {
  return new OAuthError('insufficient_scope', {
    reason: 'admin_token_scope',
    description: `this route needs an admin API token of scope ${needed}`,
    headers: {
      'www-authenticate': `Bearer realm="${ADMIN_REALM}", error="insufficient_scope", scope="${needed}"`,
    },
  });
}
