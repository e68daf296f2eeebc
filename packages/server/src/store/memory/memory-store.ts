import { CLIENT_CHANGE_RETENTION_MS } from '../client-change-feed.ts';
import type {
  AuditEvent,
  AuthorizationCodeRecord,
  AuthorizationRequestRecord,
  ClientChange,
  ClientDocumentVersion,
  ClientRecord,
  GrantRecord,
  InitialAccessTokenRecord,
  RefreshTokenRecord,
  SessionRecord,
  SigningKeyRecord,
  Store,
  TokenFamilyRecord,
  UserRecord,
} from '../store.ts';

/**
 * The in-memory store: for tests, examples and single-process development. Every operation runs
 * to completion without an `await` between its read and its write, which is what makes each one
 * atomic within the process (there is no other process to be atomic against). Records are deep
 * copied in and out so a caller mutating what it passed or got back never changes stored state.
 */
export function createMemoryStore(): Store {
  const clients = new Map<string, ClientRecord>();
  const initialAccessTokens = new Map<string, InitialAccessTokenRecord>(); // by digest
  const users = new Map<string, UserRecord>();
  const userIdsByName = new Map<string, string>();
  const signingKeys = new Map<string, SigningKeyRecord>();
  const secrets = new Map<string, string>();
  const sessions = new Map<string, SessionRecord>();
  const requests = new Map<string, AuthorizationRequestRecord>();
  const codes = new Map<string, AuthorizationCodeRecord>();
  const grants = new Map<string, GrantRecord>();
  const grantIdsByKey = new Map<string, string>();
  const families = new Map<string, TokenFamilyRecord>();
  /** Revocations that arrived before their family was created (see TokenFamilyStore.revoke). */
  const familyTombstones = new Map<string, { revokedAt: number; revokedReason: string }>();
  const refreshTokens = new Map<string, RefreshTokenRecord>();
  const replay = new Map<string, number>();
  const clientDocuments = new Map<string, ClientDocumentVersion[]>(); // newest last
  const clientChanges: ClientChange[] = []; // ascending sequence
  /** Oldest first; `list` walks it backwards. */
  const audit: AuditEvent[] = [];

  const grantKey = (userId: string, clientId: string, redirectUri: string) =>
    JSON.stringify([userId, clientId, redirectUri]);

  return {
    kind: 'memory',

    clients: {
      async get(clientId) {
        return copyOf(clients.get(clientId));
      },
      async put(record) {
        clients.set(record.clientId, copy(record));
      },
      async delete(clientId) {
        return clients.delete(clientId);
      },
      async list(options = {}) {
        const { after, limit } = options;
        return [...clients.values()]
          .filter((client) => after === undefined || client.clientId > after)
          .sort((a, b) => compare(a.clientId, b.clientId))
          .slice(0, limit ?? Number.POSITIVE_INFINITY)
          .map(copy);
      },
      async findByFingerprint(fingerprint) {
        let found: ClientRecord | undefined;
        for (const client of clients.values()) {
          if (client.registration?.fingerprint !== fingerprint) continue;
          if (found === undefined || client.createdAt > found.createdAt) found = client;
        }
        return copyOf(found);
      },
      async touch(clientId, now) {
        const client = clients.get(clientId);
        if (client !== undefined) client.lastUsedAt = now;
      },
      async reapRegistrations({ neverUsedCreatedBefore, idleSince, limit }) {
        const reaped: string[] = [];
        for (const client of [...clients.values()].sort((a, b) => a.createdAt - b.createdAt)) {
          if (reaped.length >= limit) break;
          if (client.kind !== 'dcr') continue;
          const unused = client.lastUsedAt === undefined && client.createdAt < neverUsedCreatedBefore;
          const idle = client.lastUsedAt !== undefined && client.lastUsedAt < idleSince;
          if (unused || idle) {
            clients.delete(client.clientId);
            reaped.push(client.clientId);
          }
        }
        return reaped;
      },
    },

    initialAccessTokens: {
      async create(token) {
        insertNew(initialAccessTokens, token.digest, token, 'initial access token');
      },
      async get(digest) {
        const token = initialAccessTokens.get(digest);
        return token === undefined ? undefined : copy(token);
      },
      async use(digest, now) {
        const token = initialAccessTokens.get(digest);
        if (token === undefined || token.revokedAt !== undefined) return undefined;
        if (token.expiresAt !== undefined && token.expiresAt <= now) return undefined;
        if (token.maxUses !== undefined && token.uses >= token.maxUses) return undefined;
        token.uses += 1;
        return copy(token);
      },
      async list() {
        return [...initialAccessTokens.values()].sort((a, b) => a.createdAt - b.createdAt).map(copy);
      },
      async revoke(id, now) {
        for (const token of initialAccessTokens.values()) {
          if (token.id !== id) continue;
          token.revokedAt ??= now;
          return true;
        }
        return false;
      },
    },

    users: {
      async create(user) {
        if (users.has(user.id) || userIdsByName.has(user.username)) return false;
        users.set(user.id, copy(user));
        userIdsByName.set(user.username, user.id);
        return true;
      },
      async get(id) {
        return copyOf(users.get(id));
      },
      async findByUsername(username) {
        const id = userIdsByName.get(username);
        return id === undefined ? undefined : copyOf(users.get(id));
      },
      async setPassword(id, passwordHash) {
        const user = users.get(id);
        if (user === undefined) return false;
        user.passwordHash = passwordHash;
        return true;
      },
      async list() {
        return [...users.values()].sort((a, b) => compare(a.username, b.username)).map(copy);
      },
      async count() {
        return users.size;
      },
    },

    signingKeys: {
      async list() {
        return [...signingKeys.values()]
          .sort((a, b) => b.createdAt - a.createdAt || compare(a.kid, b.kid))
          .map(copy);
      },
      async add(key) {
        if (signingKeys.has(key.kid)) return false;
        signingKeys.set(key.kid, copy(key));
        return true;
      },
      async retire(kid, at) {
        const key = signingKeys.get(kid);
        if (key !== undefined && key.retiredAt === undefined) key.retiredAt = at;
      },
      async delete(kid) {
        return signingKeys.delete(kid);
      },
    },

    serverSecrets: {
      async getOrCreate(name, create) {
        const existing = secrets.get(name);
        if (existing !== undefined) return existing;
        const value = create();
        secrets.set(name, value);
        return value;
      },
    },

    sessions: {
      async create(session) {
        insertNew(sessions, session.digest, session, 'session');
      },
      async get(digest, now) {
        const session = sessions.get(digest);
        return session !== undefined && session.expiresAt > now ? copy(session) : undefined;
      },
      async delete(digest) {
        sessions.delete(digest);
      },
    },

    authorizationRequests: {
      async create(request) {
        insertNew(requests, request.id, request, 'authorization request');
      },
      async get(id, now) {
        const request = requests.get(id);
        return request !== undefined && request.expiresAt > now ? copy(request) : undefined;
      },
      async consume(id, now) {
        const request = requests.get(id);
        if (request === undefined || request.expiresAt <= now) return undefined;
        requests.delete(id);
        return request;
      },
      async deleteByClient(clientId) {
        return deleteWhere(requests, (request) => request.clientId === clientId);
      },
    },

    authorizationCodes: {
      async create(code) {
        insertNew(codes, code.digest, code, 'authorization code');
      },
      async redeem(digest, familyId, now) {
        const code = codes.get(digest);
        if (code === undefined) return { outcome: 'unknown' };
        if (code.redeemedAt !== undefined) return { outcome: 'reused', code: copy(code) };
        code.redeemedAt = now;
        code.familyId = familyId;
        return { outcome: 'redeemed', code: copy(code) };
      },
      async deleteByClient(clientId) {
        return deleteWhere(codes, (code) => code.clientId === clientId && code.redeemedAt === undefined);
      },
    },

    grants: {
      async upsert(upsert) {
        const key = grantKey(upsert.userId, upsert.clientId, upsert.redirectUri);
        const existingId = grantIdsByKey.get(key);
        const existing = existingId === undefined ? undefined : grants.get(existingId);
        if (existing === undefined) {
          const { now, ...rest } = upsert;
          const grant: GrantRecord = { ...copy(rest), createdAt: now, updatedAt: now };
          grants.set(grant.id, grant);
          grantIdsByKey.set(key, grant.id);
          return copy(grant);
        }
        if (existing.revokedAt !== undefined) {
          // A revoked grant is replaced, not widened: what was revoked must not come back.
          delete existing.revokedAt;
          existing.scope = [...upsert.scope];
          existing.resources = [...upsert.resources];
        } else {
          existing.scope = union(existing.scope, upsert.scope);
          existing.resources = union(existing.resources, upsert.resources);
        }
        existing.updatedAt = upsert.now;
        return copy(existing);
      },
      async get(id) {
        return copyOf(grants.get(id));
      },
      async find(userId, clientId, redirectUri) {
        const id = grantIdsByKey.get(grantKey(userId, clientId, redirectUri));
        return id === undefined ? undefined : copyOf(grants.get(id));
      },
      async listByUser(userId) {
        return sortedGrants([...grants.values()].filter((grant) => grant.userId === userId));
      },
      async listByClient(clientId) {
        return sortedGrants([...grants.values()].filter((grant) => grant.clientId === clientId));
      },
      async revoke(id, reason, now) {
        const grant = grants.get(id);
        if (grant !== undefined && grant.revokedAt === undefined) grant.revokedAt = now;
        // Families are revoked even when the grant is already revoked (or gone): revoking is never undone.
        for (const family of families.values()) {
          if (family.grantId === id) revokeFamily(family, reason, now);
        }
      },
      async revokeByClient(clientId, reason, now) {
        let revoked = 0;
        for (const grant of grants.values()) {
          if (grant.clientId !== clientId || grant.revokedAt !== undefined) continue;
          grant.revokedAt = now;
          revoked++;
          for (const family of families.values()) {
            if (family.grantId === grant.id) revokeFamily(family, reason, now);
          }
        }
        return revoked;
      },
    },

    tokenFamilies: {
      async create(family) {
        if (families.has(family.id)) throw new Error(`token family ${family.id} already exists`);
        const stored = copy(family);
        const tombstone = familyTombstones.get(family.id);
        if (tombstone !== undefined) {
          // The revocation came first (a reused code seen before the winner wrote its family).
          stored.revokedAt = tombstone.revokedAt;
          stored.revokedReason = tombstone.revokedReason;
          familyTombstones.delete(family.id);
        }
        families.set(family.id, stored);
      },
      async get(id) {
        return copyOf(families.get(id));
      },
      async revoke(id, reason, now) {
        const family = families.get(id);
        if (family !== undefined) revokeFamily(family, reason, now);
        else if (!familyTombstones.has(id))
          familyTombstones.set(id, { revokedAt: now, revokedReason: reason });
      },
      async revokeByClient(clientId, reason, now) {
        let revoked = 0;
        for (const family of families.values()) {
          if (family.clientId === clientId && revokeFamily(family, reason, now)) revoked++;
        }
        return revoked;
      },
      async listByClient(clientId) {
        return [...families.values()]
          .filter((family) => family.clientId === clientId)
          .sort((a, b) => a.createdAt - b.createdAt || compare(a.id, b.id))
          .map(copy);
      },
    },

    refreshTokens: {
      async create(token) {
        insertNew(refreshTokens, token.digest, token, 'refresh token');
      },
      async get(digest) {
        return copyOf(refreshTokens.get(digest));
      },
      async rotate(presentedDigest, next, now, graceMs) {
        const presented = refreshTokens.get(presentedDigest);
        if (presented === undefined) return { outcome: 'unknown' };
        if (presented.usedAt !== undefined && !withinGrace(presented.usedAt, now, graceMs)) {
          return { outcome: 'reused', presented: copy(presented) };
        }
        const outcome = presented.usedAt === undefined ? 'rotated' : 'rotated_in_grace';
        insertNew(refreshTokens, next.digest, next, 'refresh token');
        presented.usedAt ??= now;
        return { outcome, presented: copy(presented) };
      },
    },

    clientDocuments: {
      async record(version, now) {
        const versions = clientDocuments.get(version.clientId) ?? [];
        const latest = versions.at(-1);
        if (latest !== undefined && latest.digest === version.digest) {
          latest.lastSeenAt = now;
          latest.headers = { ...version.headers };
          return { changed: false, current: copy(latest) };
        }
        const current: ClientDocumentVersion = { ...copy(version), lastSeenAt: now };
        versions.push(current);
        clientDocuments.set(version.clientId, versions);
        return latest === undefined
          ? { changed: true, current: copy(current) }
          : { changed: true, current: copy(current), previous: copy(latest) };
      },
      async latest(clientId) {
        const latest = clientDocuments.get(clientId)?.at(-1);
        return latest === undefined ? undefined : copy(latest);
      },
      async history(clientId, limit) {
        const versions = [...(clientDocuments.get(clientId) ?? [])].reverse();
        return copy(limit === undefined ? versions : versions.slice(0, limit));
      },
      async deleteByClient(clientId) {
        const count = clientDocuments.get(clientId)?.length ?? 0;
        clientDocuments.delete(clientId);
        return count;
      },
    },

    clientChanges: {
      async publish(change) {
        const sequence = (clientChanges.at(-1)?.sequence ?? 0) + 1;
        clientChanges.push({ ...change, sequence });
        return sequence;
      },
      async since(sequence, limit) {
        return copy(clientChanges.filter((change) => change.sequence > sequence).slice(0, limit));
      },
      async latest() {
        return clientChanges.at(-1)?.sequence ?? 0;
      },
    },

    replay: {
      async remember(key, expiresAt, now) {
        const existing = replay.get(key);
        if (existing !== undefined && existing > now) return false;
        replay.set(key, expiresAt);
        return true;
      },
      async has(key, now) {
        const expiresAt = replay.get(key);
        return expiresAt !== undefined && expiresAt > now;
      },
    },

    audit: {
      async append(event) {
        audit.push(copy(event));
      },
      async list(options = {}) {
        const { limit, type, clientId, userId, actor } = options;
        const found: AuditEvent[] = [];
        // Walking backwards gives insertion order newest first; the stable sort then orders by `at`.
        for (let index = audit.length - 1; index >= 0; index--) {
          const event = audit[index]!;
          if (type !== undefined && event.type !== type) continue;
          if (clientId !== undefined && event.clientId !== clientId) continue;
          if (userId !== undefined && event.userId !== userId) continue;
          if (actor !== undefined && event.actor !== actor) continue;
          found.push(event);
        }
        return found
          .sort((a, b) => b.at - a.at)
          .slice(0, limit ?? Number.POSITIVE_INFINITY)
          .map(copy);
      },
    },

    async purgeExpired(now) {
      for (const map of [sessions, requests, codes, refreshTokens]) {
        for (const [key, record] of map) if (record.expiresAt <= now) map.delete(key);
      }
      for (const [key, expiresAt] of replay) if (expiresAt <= now) replay.delete(key);
      const keptFrom = clientChanges.findIndex((change) => change.at >= now - CLIENT_CHANGE_RETENTION_MS);
      clientChanges.splice(0, keptFrom === -1 ? clientChanges.length : keptFrom);
    },

    async close() {},
  };

  function sortedGrants(list: GrantRecord[]): GrantRecord[] {
    return list.sort((a, b) => a.createdAt - b.createdAt || compare(a.id, b.id)).map(copy);
  }
}

/** Revokes a live family (first revocation wins); returns whether this call revoked it. */
function revokeFamily(family: TokenFamilyRecord, reason: string, now: number): boolean {
  if (family.revokedAt !== undefined) return false;
  family.revokedAt = now;
  family.revokedReason = reason;
  return true;
}

/** Deletes the entries that match and returns how many. */
function deleteWhere<T>(map: Map<string, T>, matches: (record: T) => boolean): number {
  let deleted = 0;
  for (const [key, record] of map) {
    if (matches(record)) {
      map.delete(key);
      deleted++;
    }
  }
  return deleted;
}

/** Inserts a record under a key that must be new: keys are random digests, so a clash is a bug. */
function insertNew<T>(map: Map<string, T>, key: string, record: T, what: string): void {
  if (map.has(key)) throw new Error(`${what} already exists`);
  map.set(key, copy(record));
}

function union(existing: readonly string[], added: readonly string[]): string[] {
  return [...new Set([...existing, ...added])];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function copy<T>(value: T): T {
  return structuredClone(value);
}

function copyOf<T>(value: T | undefined): T | undefined {
  return value === undefined ? undefined : structuredClone(value);
}

/** RefreshTokenStore.rotate: a used token is re-presented in grace only when there is a grace window at all. */
function withinGrace(usedAt: number, now: number, graceMs: number): boolean {
  return graceMs > 0 && usedAt >= now - graceMs;
}
