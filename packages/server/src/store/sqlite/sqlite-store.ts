import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { type ColumnReader, createRowRecords, textColumn } from '../row-records.ts';
import type { GrantRecord, RefreshTokenRecord, Store } from '../store.ts';
import { migrateSqlite } from './migrations.ts';

export interface SqliteStoreOptions {
  /** Database file; every process and instance that shares it shares one authorization server state. */
  path: string;
}

/**
 * Opens a database file with the settings every Gatehouse connection uses: WAL (readers never wait
 * for the writer), a busy timeout so concurrent writers from other processes queue instead of
 * failing, and synchronous=NORMAL (durable at checkpoints; safe against corruption in WAL mode).
 */
export function openSqliteDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  try {
    // busy_timeout first, so switching to WAL waits for a concurrently opening process.
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA foreign_keys = ON');
    db.exec('PRAGMA synchronous = NORMAL');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * The embedded store: one SQLite file, shareable by several processes on one machine. Atomicity
 * across those processes comes from SQLite's single writer: each contract operation is either one
 * conditional statement (`UPDATE ... WHERE redeemed_at IS NULL`, `INSERT ... ON CONFLICT`, `DELETE
 * ... RETURNING`) or a `BEGIN IMMEDIATE` transaction, which takes the write lock before it reads,
 * so no other connection can change what it read before it writes.
 */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  const db = openSqliteDatabase(options.path);
  try {
    migrateSqlite(db);
  } catch (error) {
    db.close();
    throw error;
  }

  // Prepared once per store and reused: these run on every token request.
  const statements = new Map<string, StatementSync>();
  const sql = (text: string): StatementSync => {
    let statement = statements.get(text);
    if (statement === undefined) {
      statement = db.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };

  /** Runs `body` holding the database write lock from its first read to its commit. */
  const immediate = <T>(body: () => T): T => {
    sql('BEGIN IMMEDIATE').run();
    try {
      const result = body();
      sql('COMMIT').run();
      return result;
    } catch (error) {
      if (db.isTransaction) sql('ROLLBACK').run();
      throw error;
    }
  };

  /**
   * Group commit for the writes on the request paths (PAR, code, token, DPoP jti, audit). A commit
   * costs far more than the statement it commits (WAL frames for every page touched, the lock
   * dance, the automatic checkpoints it triggers), and under load many requests write in the same
   * event-loop turn. So `write` queues the operation, and once per turn (setImmediate) every queued
   * operation runs, in order, inside ONE `BEGIN IMMEDIATE` transaction; each promise settles only
   * after that COMMIT. Nothing is acknowledged before it is committed, so durability and the
   * contract are unchanged (AuditStore: "never loses an event it resolved for"); the cost is one
   * turn of latency per write. The queued bodies and the COMMIT run synchronously in one go, so no
   * read of this connection ever sees another operation's uncommitted rows.
   *
   * Atomicity per operation is kept: a failing single statement is undone alone by SQLite (statement
   * rollback); a multi-statement body (`atomic`) runs in a SAVEPOINT and is rolled back to it if it
   * throws. If the transaction as a whole fails (BEGIN, COMMIT, or an error that made SQLite roll it
   * back), nothing of it happened, and every operation is run again on its own, exactly as without
   * batching, so each caller gets its own result or error.
   */
  interface QueuedWrite {
    body: () => unknown;
    atomic: boolean;
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  }
  let queued: QueuedWrite[] = [];
  let flushScheduled = false;

  const write = <T>(body: () => T, atomic = false): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queued.push({ body, atomic, resolve: resolve as (value: unknown) => void, reject });
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushWrites);
      }
    });

  const runAlone = (operation: QueuedWrite): void => {
    try {
      operation.resolve(operation.atomic ? immediate(operation.body) : operation.body());
    } catch (error) {
      operation.reject(error);
    }
  };

  function flushWrites(): void {
    flushScheduled = false;
    const batch = queued;
    queued = [];
    if (batch.length === 0) return;
    if (batch.length === 1 || !db.isOpen) {
      for (const operation of batch) runAlone(operation);
      return;
    }
    const outcomes: { ok: boolean; value: unknown }[] = [];
    let whole = true;
    try {
      sql('BEGIN IMMEDIATE').run();
      for (const operation of batch) {
        if (operation.atomic) sql('SAVEPOINT gatehouse_write').run();
        try {
          outcomes.push({ ok: true, value: operation.body() });
          if (operation.atomic) sql('RELEASE gatehouse_write').run();
        } catch (error) {
          outcomes.push({ ok: false, value: error });
          if (!db.isTransaction) {
            whole = false; // SQLite rolled the whole transaction back (e.g. SQLITE_FULL)
            break;
          }
          if (operation.atomic) {
            sql('ROLLBACK TO gatehouse_write').run();
            sql('RELEASE gatehouse_write').run();
          }
        }
      }
      if (whole) sql('COMMIT').run();
    } catch {
      whole = false;
    }
    if (!whole) {
      try {
        if (db.isOpen && db.isTransaction) sql('ROLLBACK').run();
      } catch {
        // Checked below.
      }
      if (db.isOpen && db.isTransaction) {
        // Never run (and acknowledge) an operation inside a transaction that will not commit.
        const error = new Error('the SQLite write transaction could not be rolled back');
        for (const operation of batch) operation.reject(error);
        return;
      }
      for (const operation of batch) runAlone(operation);
      return;
    }
    batch.forEach((operation, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) operation.resolve(outcome.value);
      else operation.reject(outcome.value);
    });
  }

  return {
    kind: 'sqlite',

    clients: {
      async get(clientId) {
        const row = sql('SELECT * FROM clients WHERE client_id = ?').get(clientId);
        return row === undefined ? undefined : records.clientFromRow(row);
      },
      async put(record) {
        // Every column is written, so fields absent from the new record are cleared (no merge).
        sql(
          `INSERT INTO clients (client_id, kind, metadata, secret_digest, secret_expires_at, created_at, updated_at,
             registration, registration_fingerprint, last_used_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (client_id) DO UPDATE SET
             kind = excluded.kind, metadata = excluded.metadata, secret_digest = excluded.secret_digest,
             secret_expires_at = excluded.secret_expires_at, created_at = excluded.created_at,
             updated_at = excluded.updated_at, registration = excluded.registration,
             registration_fingerprint = excluded.registration_fingerprint, last_used_at = excluded.last_used_at`,
        ).run(
          record.clientId,
          record.kind,
          JSON.stringify(record.metadata),
          record.secretDigest ?? null,
          record.secretExpiresAt ?? null,
          record.createdAt,
          record.updatedAt,
          record.registration === undefined ? null : JSON.stringify(record.registration),
          record.registration?.fingerprint ?? null,
          record.lastUsedAt ?? null,
        );
      },
      async findByFingerprint(fingerprint) {
        const row = sql(
          'SELECT * FROM clients WHERE registration_fingerprint = ? ORDER BY created_at DESC LIMIT 1',
        ).get(fingerprint);
        return row === undefined ? undefined : records.clientFromRow(row);
      },
      async touch(clientId, now) {
        await write(() => sql('UPDATE clients SET last_used_at = ? WHERE client_id = ?').run(now, clientId));
      },
      async reapRegistrations({ neverUsedCreatedBefore, idleSince, limit }) {
        // One statement: the rows chosen are the rows deleted, even with other instances reaping.
        return sql(
          `DELETE FROM clients WHERE client_id IN (
             SELECT client_id FROM clients WHERE kind = 'dcr' AND (
               (last_used_at IS NULL AND created_at < :neverUsedCreatedBefore) OR last_used_at < :idleSince)
             ORDER BY created_at LIMIT :limit)
           RETURNING client_id`,
        )
          .all({ neverUsedCreatedBefore, idleSince, limit })
          .map((row) => String(row.client_id));
      },
      async delete(clientId) {
        return changed(sql('DELETE FROM clients WHERE client_id = ?').run(clientId));
      },
      async list(options = {}) {
        return sql(
          `SELECT * FROM clients WHERE (:after IS NULL OR client_id > :after)
           ORDER BY client_id LIMIT :limit`,
        )
          .all({ after: options.after ?? null, limit: options.limit ?? -1 })
          .map(records.clientFromRow);
      },
    },

    initialAccessTokens: {
      async create(token) {
        sql(
          `INSERT INTO initial_access_tokens (digest, id, label, created_at, expires_at, max_uses, uses, revoked_at, scope)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          token.digest,
          token.id,
          token.label ?? null,
          token.createdAt,
          token.expiresAt ?? null,
          token.maxUses ?? null,
          token.uses,
          token.revokedAt ?? null,
          token.scope ?? null,
        );
      },
      async get(digest) {
        const row = sql('SELECT * FROM initial_access_tokens WHERE digest = ?').get(digest);
        return row === undefined ? undefined : records.initialAccessTokenFromRow(row);
      },
      async use(digest, now) {
        // The conditions and the count in one statement: never more than max_uses, across processes.
        const row = sql(
          `UPDATE initial_access_tokens SET uses = uses + 1
           WHERE digest = :digest AND revoked_at IS NULL
             AND (expires_at IS NULL OR expires_at > :now) AND (max_uses IS NULL OR uses < max_uses)
           RETURNING *`,
        ).get({ digest, now });
        return row === undefined ? undefined : records.initialAccessTokenFromRow(row);
      },
      async list() {
        return sql('SELECT * FROM initial_access_tokens ORDER BY created_at')
          .all()
          .map(records.initialAccessTokenFromRow);
      },
      async revoke(id, now) {
        const found = sql('SELECT 1 FROM initial_access_tokens WHERE id = ?').get(id) !== undefined;
        sql('UPDATE initial_access_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(
          now,
          id,
        );
        return found;
      },
    },

    users: {
      async create(user) {
        // No conflict target: a taken id and a taken username both make the insert a no-op.
        const result = sql(
          `INSERT INTO users (id, username, password_hash, created_at, disabled_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT DO NOTHING`,
        ).run(user.id, user.username, user.passwordHash, user.createdAt, user.disabledAt ?? null);
        return changed(result);
      },
      async get(id) {
        const row = sql('SELECT * FROM users WHERE id = ?').get(id);
        return row === undefined ? undefined : records.userFromRow(row);
      },
      async findByUsername(username) {
        const row = sql('SELECT * FROM users WHERE username = ?').get(username);
        return row === undefined ? undefined : records.userFromRow(row);
      },
      async setPassword(id, passwordHash) {
        return changed(sql('UPDATE users SET password_hash = ? WHERE id = ?').run(passwordHash, id));
      },
      async list() {
        return sql('SELECT * FROM users ORDER BY username').all().map(records.userFromRow);
      },
      async count() {
        return int(sql('SELECT count(*) AS count FROM users').get()!, 'count');
      },
    },

    signingKeys: {
      async list() {
        return sql('SELECT * FROM signing_keys ORDER BY created_at DESC, kid')
          .all()
          .map(records.signingKeyFromRow);
      },
      async add(key) {
        const result = sql(
          `INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at, retired_at)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kid) DO NOTHING`,
        ).run(
          key.kid,
          key.alg,
          JSON.stringify(key.privateJwk),
          JSON.stringify(key.publicJwk),
          key.createdAt,
          key.retiredAt ?? null,
        );
        return changed(result);
      },
      async retire(kid, at) {
        sql('UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL').run(at, kid);
      },
      async delete(kid) {
        return changed(sql('DELETE FROM signing_keys WHERE kid = ?').run(kid));
      },
    },

    serverSecrets: {
      async getOrCreate(name, create) {
        const read = () => sql('SELECT value FROM server_secrets WHERE name = ?').get(name);
        const existing = read();
        if (existing !== undefined) return text(existing, 'value');
        // Whoever inserts first wins; everybody, the losers included, returns what is stored.
        sql('INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(
          name,
          create(),
        );
        return text(read()!, 'value');
      },
    },

    sessions: {
      async create(session) {
        await write(() =>
          sql('INSERT INTO sessions (digest, user_id, auth_time, expires_at) VALUES (?, ?, ?, ?)').run(
            session.digest,
            session.userId,
            session.authTime,
            session.expiresAt,
          ),
        );
      },
      async get(digest, now) {
        const row = sql('SELECT * FROM sessions WHERE digest = ? AND expires_at > ?').get(digest, now);
        return row === undefined ? undefined : records.sessionFromRow(row);
      },
      async delete(digest) {
        sql('DELETE FROM sessions WHERE digest = ?').run(digest);
      },
    },

    authorizationRequests: {
      async create(request) {
        await write(() =>
          sql(
            `INSERT INTO authorization_requests (id, client_id, redirect_uri, redirect_uri_sent, state, scope,
             resources, code_challenge, code_challenge_method, prompt, max_age, login_hint,
             browser_binding_digest, csrf_token, created_at, expires_at, dpop_jkt)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          ).run(
            request.id,
            request.clientId,
            request.redirectUri,
            request.redirectUriSent ? 1 : 0,
            request.state ?? null,
            JSON.stringify(request.scope),
            JSON.stringify(request.resources),
            request.codeChallenge,
            request.codeChallengeMethod,
            request.prompt ?? null,
            request.maxAge ?? null,
            request.loginHint ?? null,
            request.browserBindingDigest,
            request.csrfToken,
            request.createdAt,
            request.expiresAt,
            request.dpopJkt ?? null,
          ),
        );
      },
      async get(id, now) {
        const row = sql('SELECT * FROM authorization_requests WHERE id = ? AND expires_at > ?').get(id, now);
        return row === undefined ? undefined : records.requestFromRow(row);
      },
      async consume(id, now) {
        // One statement: only the connection whose DELETE removed the row gets it back.
        const row = await write(() =>
          sql('DELETE FROM authorization_requests WHERE id = ? AND expires_at > ? RETURNING *').get(id, now),
        );
        return row === undefined ? undefined : records.requestFromRow(row);
      },
    },

    authorizationCodes: {
      async create(code) {
        await write(() =>
          sql(
            `INSERT INTO authorization_codes (digest, client_id, user_id, grant_id, redirect_uri, redirect_uri_sent,
             code_challenge, scope, resources, auth_time, issued_at, expires_at, redeemed_at, family_id, dpop_jkt)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          ).run(
            code.digest,
            code.clientId,
            code.userId,
            code.grantId,
            code.redirectUri,
            code.redirectUriSent ? 1 : 0,
            code.codeChallenge,
            JSON.stringify(code.scope),
            JSON.stringify(code.resources),
            code.authTime,
            code.issuedAt,
            code.expiresAt,
            code.redeemedAt ?? null,
            code.familyId ?? null,
            code.dpopJkt ?? null,
          ),
        );
      },
      async redeem(digest, familyId, now) {
        // The conditional UPDATE is the whole race: exactly one connection sees its row come back.
        const won = await write(() =>
          sql(
            `UPDATE authorization_codes SET redeemed_at = ?, family_id = ?
             WHERE digest = ? AND redeemed_at IS NULL RETURNING *`,
          ).get(now, familyId, digest),
        );
        if (won !== undefined) return { outcome: 'redeemed', code: records.codeFromRow(won) };
        // Redemption is final, so this later read sees the winner's values.
        const row = sql('SELECT * FROM authorization_codes WHERE digest = ?').get(digest);
        return row === undefined
          ? { outcome: 'unknown' }
          : { outcome: 'reused', code: records.codeFromRow(row) };
      },
    },

    grants: {
      async upsert(upsert) {
        return write(() => {
          const row = sql(
            'SELECT * FROM grants WHERE user_id = ? AND client_id = ? AND redirect_uri = ?',
          ).get(upsert.userId, upsert.clientId, upsert.redirectUri);
          if (row === undefined) {
            const grant: GrantRecord = {
              id: upsert.id,
              userId: upsert.userId,
              clientId: upsert.clientId,
              redirectUri: upsert.redirectUri,
              scope: [...upsert.scope],
              resources: [...upsert.resources],
              createdAt: upsert.now,
              updatedAt: upsert.now,
            };
            sql(
              `INSERT INTO grants (id, user_id, client_id, redirect_uri, scope, resources, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
            ).run(
              grant.id,
              grant.userId,
              grant.clientId,
              grant.redirectUri,
              JSON.stringify(grant.scope),
              JSON.stringify(grant.resources),
              grant.createdAt,
              grant.updatedAt,
            );
            return grant;
          }
          const { revokedAt, ...existing } = records.grantFromRow(row);
          // A live grant widens (step-up); a revoked one is replaced, so nothing revoked comes back.
          const live = revokedAt === undefined;
          const grant: GrantRecord = {
            ...existing,
            scope: live ? union(existing.scope, upsert.scope) : [...upsert.scope],
            resources: live ? union(existing.resources, upsert.resources) : [...upsert.resources],
            updatedAt: upsert.now,
          };
          sql(
            'UPDATE grants SET scope = ?, resources = ?, updated_at = ?, revoked_at = NULL WHERE id = ?',
          ).run(JSON.stringify(grant.scope), JSON.stringify(grant.resources), grant.updatedAt, grant.id);
          return grant;
        }, true);
      },
      async get(id) {
        const row = sql('SELECT * FROM grants WHERE id = ?').get(id);
        return row === undefined ? undefined : records.grantFromRow(row);
      },
      async find(userId, clientId, redirectUri) {
        const row = sql('SELECT * FROM grants WHERE user_id = ? AND client_id = ? AND redirect_uri = ?').get(
          userId,
          clientId,
          redirectUri,
        );
        return row === undefined ? undefined : records.grantFromRow(row);
      },
      async listByUser(userId) {
        return sql('SELECT * FROM grants WHERE user_id = ? ORDER BY created_at, id')
          .all(userId)
          .map(records.grantFromRow);
      },
      async listByClient(clientId) {
        return sql('SELECT * FROM grants WHERE client_id = ? ORDER BY created_at, id')
          .all(clientId)
          .map(records.grantFromRow);
      },
      async revoke(id, reason, now) {
        immediate(() => {
          sql('UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id);
          // Families are revoked even when the grant already was: revoking is never undone.
          sql(
            `UPDATE token_families SET revoked_at = ?, revoked_reason = ?
             WHERE grant_id = ? AND revoked_at IS NULL`,
          ).run(now, reason, id);
        });
      },
    },

    tokenFamilies: {
      async create(family) {
        // Fills in a tombstone (created_at IS NULL) if a revocation came first, keeping it revoked.
        const result = await write(() =>
          sql(
            `INSERT INTO token_families (id, grant_id, client_id, user_id, scope, resources, auth_time, created_at,
             expires_at, client_key_thumbprint, revoked_at, revoked_reason, dpop_jkt)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET
             grant_id = excluded.grant_id, client_id = excluded.client_id, user_id = excluded.user_id,
             scope = excluded.scope, resources = excluded.resources, auth_time = excluded.auth_time,
             created_at = excluded.created_at, expires_at = excluded.expires_at,
             client_key_thumbprint = excluded.client_key_thumbprint, dpop_jkt = excluded.dpop_jkt
           WHERE token_families.created_at IS NULL`,
          ).run(
            family.id,
            family.grantId,
            family.clientId,
            family.userId,
            JSON.stringify(family.scope),
            JSON.stringify(family.resources),
            family.authTime,
            family.createdAt,
            family.expiresAt,
            family.clientKeyThumbprint ?? null,
            family.revokedAt ?? null,
            family.revokedReason ?? null,
            family.dpopJkt ?? null,
          ),
        );
        if (!changed(result)) throw new Error(`token family ${family.id} already exists`);
      },
      async get(id) {
        const row = sql('SELECT * FROM token_families WHERE id = ? AND created_at IS NOT NULL').get(id);
        return row === undefined ? undefined : records.familyFromRow(row);
      },
      async revoke(id, reason, now) {
        // One statement: revokes a live family, or leaves a tombstone for one not created yet.
        await write(() =>
          sql(
            `INSERT INTO token_families (id, revoked_at, revoked_reason) VALUES (?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET revoked_at = excluded.revoked_at, revoked_reason = excluded.revoked_reason
             WHERE token_families.revoked_at IS NULL`,
          ).run(id, now, reason),
        );
      },
      async revokeByClient(clientId, reason, now) {
        const result = sql(
          `UPDATE token_families SET revoked_at = ?, revoked_reason = ?
           WHERE client_id = ? AND revoked_at IS NULL`,
        ).run(now, reason, clientId);
        return Number(result.changes);
      },
      async listByClient(clientId) {
        return sql('SELECT * FROM token_families WHERE client_id = ? ORDER BY created_at, id')
          .all(clientId)
          .map(records.familyFromRow);
      },
    },

    refreshTokens: {
      async create(token) {
        await write(() => insertRefreshToken(token));
      },
      async get(digest) {
        const row = sql('SELECT * FROM refresh_tokens WHERE digest = ?').get(digest);
        return row === undefined ? undefined : records.refreshTokenFromRow(row);
      },
      async rotate(presentedDigest, next, now, graceMs) {
        return write(() => {
          const row = sql('SELECT * FROM refresh_tokens WHERE digest = ?').get(presentedDigest);
          if (row === undefined) return { outcome: 'unknown' } as const;
          const presented = records.refreshTokenFromRow(row);
          if (presented.usedAt !== undefined && !withinGrace(presented.usedAt, now, graceMs)) {
            return { outcome: 'reused', presented } as const;
          }
          insertRefreshToken(next);
          if (presented.usedAt !== undefined) return { outcome: 'rotated_in_grace', presented } as const;
          sql('UPDATE refresh_tokens SET used_at = ? WHERE digest = ?').run(now, presentedDigest);
          return { outcome: 'rotated', presented: { ...presented, usedAt: now } } as const;
        }, true);
      },
    },

    clientDocuments: {
      async record(version, now) {
        return immediate(() => {
          const latestRow = sql(
            'SELECT * FROM client_documents WHERE client_id = ? ORDER BY fetched_at DESC, rowid DESC LIMIT 1',
          ).get(version.clientId);
          const latest = latestRow === undefined ? undefined : records.clientDocumentFromRow(latestRow);
          const headers = JSON.stringify(version.headers);
          if (latest !== undefined && latest.digest === version.digest) {
            sql(
              'UPDATE client_documents SET last_seen_at = ?, headers = ? WHERE client_id = ? AND fetched_at = ? AND digest = ?',
            ).run(now, headers, latest.clientId, latest.fetchedAt, latest.digest);
            return {
              changed: false,
              current: { ...latest, lastSeenAt: now, headers: { ...version.headers } },
            } as const;
          }
          sql(
            `INSERT INTO client_documents (client_id, digest, body, fetched_at, last_seen_at, headers)
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
          ).run(version.clientId, version.digest, version.body, version.fetchedAt, now, headers);
          const current = { ...version, headers: { ...version.headers }, lastSeenAt: now };
          return latest === undefined
            ? ({ changed: true, current } as const)
            : ({ changed: true, current, previous: latest } as const);
        });
      },
      async latest(clientId) {
        const row = sql(
          'SELECT * FROM client_documents WHERE client_id = ? ORDER BY fetched_at DESC, rowid DESC LIMIT 1',
        ).get(clientId);
        return row === undefined ? undefined : records.clientDocumentFromRow(row);
      },
      async history(clientId, limit) {
        return sql(
          'SELECT * FROM client_documents WHERE client_id = ? ORDER BY fetched_at DESC, rowid DESC LIMIT ?',
        )
          .all(clientId, limit ?? -1)
          .map(records.clientDocumentFromRow);
      },
    },

    replay: {
      async remember(key, expiresAt, now) {
        // Inserts a new key or takes over an expired one; a live entry makes this a no-op.
        const result = await write(() =>
          sql(
            `INSERT INTO replay (key, expires_at) VALUES (:key, :expiresAt)
             ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay.expires_at <= :now`,
          ).run({ key, expiresAt, now }),
        );
        return changed(result);
      },
      async has(key, now) {
        return sql('SELECT 1 FROM replay WHERE key = ? AND expires_at > ?').get(key, now) !== undefined;
      },
    },

    audit: {
      async append(event) {
        await write(() =>
          sql(
            'INSERT INTO audit_events (at, type, client_id, user_id, reason, detail) VALUES (?, ?, ?, ?, ?, ?)',
          ).run(
            event.at,
            event.type,
            event.clientId ?? null,
            event.userId ?? null,
            event.reason ?? null,
            event.detail === undefined ? null : JSON.stringify(event.detail),
          ),
        );
      },
      async list(options = {}) {
        const parameters: Record<string, SQLInputValue> = {
          type: options.type ?? null,
          clientId: options.clientId ?? null,
          userId: options.userId ?? null,
          limit: options.limit ?? -1,
        };
        // id breaks ties between events of the same millisecond: later appended, listed first.
        return sql(
          `SELECT * FROM audit_events
           WHERE (:type IS NULL OR type = :type) AND (:clientId IS NULL OR client_id = :clientId)
             AND (:userId IS NULL OR user_id = :userId)
           ORDER BY at DESC, id DESC LIMIT :limit`,
        )
          .all(parameters)
          .map(records.auditEventFromRow);
      },
    },

    async purgeExpired(now) {
      immediate(() => {
        for (const table of [
          'sessions',
          'authorization_requests',
          'authorization_codes',
          'refresh_tokens',
          'replay',
        ]) {
          sql(`DELETE FROM ${table} WHERE expires_at <= ?`).run(now);
        }
      });
    },

    async close() {
      // A clean stop commits what is queued first: nothing resolved or pending is dropped.
      flushWrites();
      if (db.isOpen) db.close();
    },
  };

  function insertRefreshToken(token: RefreshTokenRecord): void {
    sql(
      'INSERT INTO refresh_tokens (digest, family_id, issued_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?)',
    ).run(token.digest, token.familyId, token.issuedAt, token.expiresAt, token.usedAt ?? null);
  }
}

/** How SQLite returns a column: JSON as TEXT, integers as number or bigint, booleans as 0/1. */
const columns: ColumnReader = {
  text: textColumn,
  int(row, column) {
    const value = row[column];
    if (typeof value === 'number') return value;
    if (typeof value === 'bigint') return Number(value);
    throw new Error(`column ${column} is not an integer`);
  },
  json: (row, column) => JSON.parse(columns.text(row, column)),
  bool: (row, column) => columns.int(row, column) === 1,
};
const { text, int } = columns;
const records = createRowRecords(columns);

function changed(result: { changes: number | bigint }): boolean {
  return Number(result.changes) > 0;
}

function union(existing: readonly string[], added: readonly string[]): string[] {
  return [...new Set([...existing, ...added])];
}

/** RefreshTokenStore.rotate: a used token is re-presented in grace only when there is a grace window at all. */
function withinGrace(usedAt: number, now: number, graceMs: number): boolean {
  return graceMs > 0 && usedAt >= now - graceMs;
}
