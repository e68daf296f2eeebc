import {
  type ColumnReader,
  type ColumnRow,
  createRowRecords,
  type GrantRecord,
  type RefreshTokenRecord,
  type Store,
  textColumn,
} from '@gatehouse/server';
import pg from 'pg';
import { migratePostgres } from './migrations.ts';
import { queryWithRetry, withTransaction } from './transaction.ts';

export interface PostgresStoreOptions {
  /** `postgresql://user:password@host:port/database`; every instance given the same one shares one state. */
  connectionString: string;
  /** Most connections this instance opens (default 10). */
  poolSize?: number;
  /** TLS: `true`, or node:tls connection options (e.g. `{ ca, rejectUnauthorized }`). Default: as the URL says. */
  ssl?: boolean | object;
  /**
   * Schema holding Gatehouse's tables, created if missing (lowercase letters, digits and `_`). Default:
   * the connecting role's search_path (normally `public`).
   */
  schema?: string;
  /**
   * How long to wait for a connection before failing the request (default 5000 ms), so a database
   * outage answers 503 quickly instead of queueing requests.
   */
  connectionTimeoutMillis?: number;
  /**
   * Called when an idle pooled connection breaks (the server restarted, a proxy dropped it). The pool
   * discards that connection and opens a new one on the next request; without a listener node-postgres
   * would crash the process on such an error.
   */
  onConnectionError?: (error: Error) => void;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Every connection of a store parses BIGINT (epoch-millisecond times, counts) as a JS number. Set on
 * the pool, not on pg's global parsers, so other users of `pg` in the same process are untouched.
 * Epoch milliseconds stay far below 2^53.
 */
const types = new pg.TypeOverrides();
types.setTypeParser(pg.types.builtins.INT8, 'text', Number);

/** Opens a pool with the settings every Gatehouse connection uses (see PostgresStoreOptions). */
export function createPostgresPool(options: PostgresStoreOptions): pg.Pool {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new Error(`invalid PostgreSQL schema name ${JSON.stringify(options.schema)}`);
  }
  const config: pg.PoolConfig = {
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
    types,
    application_name: 'gatehouse',
  };
  if (options.ssl !== undefined) config.ssl = options.ssl;
  // A startup parameter, so the search_path is in force before the first query of every connection
  // (the name is validated above: nothing in it needs quoting).
  if (options.schema !== undefined) config.options = `-c search_path=${options.schema}`;
  const pool = new pg.Pool(config);
  pool.on('error', (error) => options.onConnectionError?.(error));
  return pool;
}

type Row = Record<string, unknown>;

/**
 * The scale-out store: any number of Gatehouse instances on one PostgreSQL database. Every contract
 * operation is atomic across instances: either one conditional statement (`UPDATE ... WHERE
 * redeemed_at IS NULL RETURNING *`, `INSERT ... ON CONFLICT`, `DELETE ... RETURNING`), which under
 * READ COMMITTED waits for a concurrent writer of the same row and re-checks its WHERE against the
 * committed row, or a transaction that first takes a row lock (`SELECT ... FOR UPDATE`) or, where
 * the row may not exist yet, a transaction-level advisory lock on the key.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const pool = createPostgresPool(options);
  try {
    await migratePostgres(pool, options.schema === undefined ? {} : { schema: options.schema });
  } catch (error) {
    await pool.end();
    throw error;
  }

  const query = async (text: string, values: readonly unknown[] = []): Promise<Row[]> =>
    (await queryWithRetry<Row>(pool, text, values)).rows;
  const first = async (text: string, values: readonly unknown[] = []): Promise<Row | undefined> =>
    (await query(text, values))[0];
  const count = async (text: string, values: readonly unknown[] = []): Promise<number> =>
    (await queryWithRetry(pool, text, values)).rowCount ?? 0;

  return {
    kind: 'postgres',

    clients: {
      async get(clientId) {
        const row = await first('SELECT * FROM clients WHERE client_id = $1', [clientId]);
        return row === undefined ? undefined : records.clientFromRow(row);
      },
      async put(record) {
        // Every column is written, so fields absent from the new record are cleared (no merge).
        await query(
          `INSERT INTO clients (client_id, kind, metadata, secret_digest, secret_expires_at, created_at, updated_at,
             registration, registration_fingerprint, last_used_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (client_id) DO UPDATE SET
             kind = excluded.kind, metadata = excluded.metadata, secret_digest = excluded.secret_digest,
             secret_expires_at = excluded.secret_expires_at, created_at = excluded.created_at,
             updated_at = excluded.updated_at, registration = excluded.registration,
             registration_fingerprint = excluded.registration_fingerprint, last_used_at = excluded.last_used_at`,
          [
            record.clientId,
            record.kind,
            jsonParameter(record.metadata),
            record.secretDigest ?? null,
            record.secretExpiresAt ?? null,
            record.createdAt,
            record.updatedAt,
            record.registration === undefined ? null : jsonParameter(record.registration),
            record.registration?.fingerprint ?? null,
            record.lastUsedAt ?? null,
          ],
        );
      },
      async delete(clientId) {
        return (await count('DELETE FROM clients WHERE client_id = $1', [clientId])) > 0;
      },
      async list(options = {}) {
        const rows = await query(
          `SELECT * FROM clients WHERE ($1::text IS NULL OR client_id > $1::text)
           ORDER BY client_id LIMIT $2`,
          [options.after ?? null, options.limit ?? null],
        );
        return rows.map(records.clientFromRow);
      },
      async findByFingerprint(fingerprint) {
        const row = await first(
          'SELECT * FROM clients WHERE registration_fingerprint = $1 ORDER BY created_at DESC LIMIT 1',
          [fingerprint],
        );
        return row === undefined ? undefined : records.clientFromRow(row);
      },
      async touch(clientId, now) {
        await query('UPDATE clients SET last_used_at = $1 WHERE client_id = $2', [now, clientId]);
      },
      async reapRegistrations({ neverUsedCreatedBefore, idleSince, limit }) {
        // One statement: the rows chosen are the rows deleted. SKIP LOCKED lets instances reaping at
        // the same time take disjoint batches instead of queueing behind each other.
        const rows = await query(
          `DELETE FROM clients WHERE client_id IN (
             SELECT client_id FROM clients WHERE kind = 'dcr' AND (
               (last_used_at IS NULL AND created_at < $1) OR last_used_at < $2)
             ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
           RETURNING client_id`,
          [neverUsedCreatedBefore, idleSince, limit],
        );
        return rows.map((row) => text(row, 'client_id'));
      },
    },

    initialAccessTokens: {
      async create(token) {
        await query(
          `INSERT INTO initial_access_tokens (digest, id, label, created_at, expires_at, max_uses, uses, revoked_at, scope)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            token.digest,
            token.id,
            token.label ?? null,
            token.createdAt,
            token.expiresAt ?? null,
            token.maxUses ?? null,
            token.uses,
            token.revokedAt ?? null,
            token.scope ?? null,
          ],
        );
      },
      async get(digest) {
        const row = await first('SELECT * FROM initial_access_tokens WHERE digest = $1', [digest]);
        return row === undefined ? undefined : records.initialAccessTokenFromRow(row);
      },
      async use(digest, now) {
        // The conditions and the count in one statement. A concurrent use of the same token waits for
        // this row and re-checks `uses < max_uses` against the committed count: never more than max_uses.
        const row = await first(
          `UPDATE initial_access_tokens SET uses = uses + 1
           WHERE digest = $1 AND revoked_at IS NULL
             AND (expires_at IS NULL OR expires_at > $2) AND (max_uses IS NULL OR uses < max_uses)
           RETURNING *`,
          [digest, now],
        );
        return row === undefined ? undefined : records.initialAccessTokenFromRow(row);
      },
      async list() {
        return (await query('SELECT * FROM initial_access_tokens ORDER BY created_at, id')).map(
          records.initialAccessTokenFromRow,
        );
      },
      async revoke(id, now) {
        // Matches an already revoked token too (keeping its first revokedAt): "it existed" is the answer.
        const revoked = await count(
          'UPDATE initial_access_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1',
          [id, now],
        );
        return revoked > 0;
      },
    },

    users: {
      async create(user) {
        // No conflict target: a taken id and a taken username both make the insert a no-op.
        const created = await count(
          `INSERT INTO users (id, username, password_hash, created_at, disabled_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING`,
          [user.id, user.username, user.passwordHash, user.createdAt, user.disabledAt ?? null],
        );
        return created > 0;
      },
      async get(id) {
        const row = await first('SELECT * FROM users WHERE id = $1', [id]);
        return row === undefined ? undefined : records.userFromRow(row);
      },
      async findByUsername(username) {
        const row = await first('SELECT * FROM users WHERE username = $1', [username]);
        return row === undefined ? undefined : records.userFromRow(row);
      },
      async setPassword(id, passwordHash) {
        return (await count('UPDATE users SET password_hash = $1 WHERE id = $2', [passwordHash, id])) > 0;
      },
      async list() {
        return (await query('SELECT * FROM users ORDER BY username')).map(records.userFromRow);
      },
      async count() {
        return int((await first('SELECT count(*) AS count FROM users'))!, 'count');
      },
    },

    signingKeys: {
      async list() {
        return (await query('SELECT * FROM signing_keys ORDER BY created_at DESC, kid')).map(
          records.signingKeyFromRow,
        );
      },
      async add(key) {
        const added = await count(
          `INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at, retired_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kid) DO NOTHING`,
          [
            key.kid,
            key.alg,
            jsonParameter(key.privateJwk),
            jsonParameter(key.publicJwk),
            key.createdAt,
            key.retiredAt ?? null,
          ],
        );
        return added > 0;
      },
      async retire(kid, at) {
        await query('UPDATE signing_keys SET retired_at = $1 WHERE kid = $2 AND retired_at IS NULL', [
          at,
          kid,
        ]);
      },
      async delete(kid) {
        return (await count('DELETE FROM signing_keys WHERE kid = $1', [kid])) > 0;
      },
    },

    serverSecrets: {
      async getOrCreate(name, create) {
        const read = async () => {
          const row = await first('SELECT value FROM server_secrets WHERE name = $1', [name]);
          return row === undefined ? undefined : text(row, 'value');
        };
        const existing = await read();
        if (existing !== undefined) return existing;
        // Whoever inserts first wins. A loser's INSERT waits for the winner's commit and does nothing;
        // its next statement (a new snapshot under READ COMMITTED) then reads the winner's value. One
        // statement with a CTE would not do: its snapshot predates the winner's commit.
        const inserted = await first(
          'INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value',
          [name, create()],
        );
        if (inserted !== undefined) return text(inserted, 'value');
        const stored = await read();
        if (stored === undefined) throw new Error(`server secret ${name} vanished while being created`);
        return stored;
      },
    },

    sessions: {
      async create(session) {
        await query('INSERT INTO sessions (digest, user_id, auth_time, expires_at) VALUES ($1, $2, $3, $4)', [
          session.digest,
          session.userId,
          session.authTime,
          session.expiresAt,
        ]);
      },
      async get(digest, now) {
        const row = await first('SELECT * FROM sessions WHERE digest = $1 AND expires_at > $2', [
          digest,
          now,
        ]);
        return row === undefined ? undefined : records.sessionFromRow(row);
      },
      async delete(digest) {
        await query('DELETE FROM sessions WHERE digest = $1', [digest]);
      },
    },

    authorizationRequests: {
      async create(request) {
        await query(
          `INSERT INTO authorization_requests (id, client_id, redirect_uri, redirect_uri_sent, state, scope,
             resources, code_challenge, code_challenge_method, prompt, max_age, login_hint,
             browser_binding_digest, csrf_token, created_at, expires_at, dpop_jkt)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
          [
            request.id,
            request.clientId,
            request.redirectUri,
            request.redirectUriSent,
            request.state ?? null,
            jsonParameter(request.scope),
            jsonParameter(request.resources),
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
          ],
        );
      },
      async get(id, now) {
        const row = await first('SELECT * FROM authorization_requests WHERE id = $1 AND expires_at > $2', [
          id,
          now,
        ]);
        return row === undefined ? undefined : records.requestFromRow(row);
      },
      async consume(id, now) {
        // One statement: a concurrent DELETE of the same row waits for this one, then finds it gone.
        const row = await first(
          'DELETE FROM authorization_requests WHERE id = $1 AND expires_at > $2 RETURNING *',
          [id, now],
        );
        return row === undefined ? undefined : records.requestFromRow(row);
      },
    },

    authorizationCodes: {
      async create(code) {
        await query(
          `INSERT INTO authorization_codes (digest, client_id, user_id, grant_id, redirect_uri, redirect_uri_sent,
             code_challenge, scope, resources, auth_time, issued_at, expires_at, redeemed_at, family_id, dpop_jkt)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
          [
            code.digest,
            code.clientId,
            code.userId,
            code.grantId,
            code.redirectUri,
            code.redirectUriSent,
            code.codeChallenge,
            jsonParameter(code.scope),
            jsonParameter(code.resources),
            code.authTime,
            code.issuedAt,
            code.expiresAt,
            code.redeemedAt ?? null,
            code.familyId ?? null,
            code.dpopJkt ?? null,
          ],
        );
      },
      async redeem(digest, familyId, now) {
        // The conditional UPDATE is the whole race: a concurrent redeem waits on the row, re-checks
        // `redeemed_at IS NULL` against the winner's commit, and updates nothing.
        const won = await first(
          `UPDATE authorization_codes SET redeemed_at = $1, family_id = $2
           WHERE digest = $3 AND redeemed_at IS NULL RETURNING *`,
          [now, familyId, digest],
        );
        if (won !== undefined) return { outcome: 'redeemed', code: records.codeFromRow(won) };
        // A new statement, so a new snapshot: it sees the winner's committed values.
        const row = await first('SELECT * FROM authorization_codes WHERE digest = $1', [digest]);
        return row === undefined
          ? { outcome: 'unknown' }
          : { outcome: 'reused', code: records.codeFromRow(row) };
      },
    },

    grants: {
      async upsert(upsert) {
        return withTransaction(pool, async (client) => {
          const inserted = await client.query<Row>(
            `INSERT INTO grants (id, user_id, client_id, redirect_uri, scope, resources, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
             ON CONFLICT (user_id, client_id, redirect_uri) DO NOTHING RETURNING *`,
            [
              upsert.id,
              upsert.userId,
              upsert.clientId,
              upsert.redirectUri,
              jsonParameter(upsert.scope),
              jsonParameter(upsert.resources),
              upsert.now,
            ],
          );
          if (inserted.rows[0] !== undefined) return records.grantFromRow(inserted.rows[0]);
          // The installation's grant exists (ON CONFLICT waited for its inserter to commit). Lock it so
          // concurrent upserts merge one after another: none loses another's scopes.
          const locked = await client.query<Row>(
            'SELECT * FROM grants WHERE user_id = $1 AND client_id = $2 AND redirect_uri = $3 FOR UPDATE',
            [upsert.userId, upsert.clientId, upsert.redirectUri],
          );
          const row = locked.rows[0];
          if (row === undefined) throw new Error('grant vanished during upsert');
          const { revokedAt, ...existing } = records.grantFromRow(row);
          // A live grant widens (step-up); a revoked one is replaced, so nothing revoked comes back.
          const live = revokedAt === undefined;
          const grant: GrantRecord = {
            ...existing,
            scope: live ? union(existing.scope, upsert.scope) : [...upsert.scope],
            resources: live ? union(existing.resources, upsert.resources) : [...upsert.resources],
            updatedAt: upsert.now,
          };
          await client.query(
            'UPDATE grants SET scope = $1, resources = $2, updated_at = $3, revoked_at = NULL WHERE id = $4',
            [jsonParameter(grant.scope), jsonParameter(grant.resources), grant.updatedAt, grant.id],
          );
          return grant;
        });
      },
      async get(id) {
        const row = await first('SELECT * FROM grants WHERE id = $1', [id]);
        return row === undefined ? undefined : records.grantFromRow(row);
      },
      async find(userId, clientId, redirectUri) {
        const row = await first(
          'SELECT * FROM grants WHERE user_id = $1 AND client_id = $2 AND redirect_uri = $3',
          [userId, clientId, redirectUri],
        );
        return row === undefined ? undefined : records.grantFromRow(row);
      },
      async listByUser(userId) {
        return (await query('SELECT * FROM grants WHERE user_id = $1 ORDER BY created_at, id', [userId])).map(
          records.grantFromRow,
        );
      },
      async listByClient(clientId) {
        return (
          await query('SELECT * FROM grants WHERE client_id = $1 ORDER BY created_at, id', [clientId])
        ).map(records.grantFromRow);
      },
      async revoke(id, reason, now) {
        await withTransaction(pool, async (client) => {
          await client.query('UPDATE grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [
            now,
            id,
          ]);
          // Families are revoked even when the grant already was: revoking is never undone.
          await client.query(
            `UPDATE token_families SET revoked_at = $1, revoked_reason = $2
             WHERE grant_id = $3 AND revoked_at IS NULL`,
            [now, reason, id],
          );
        });
      },
    },

    tokenFamilies: {
      async create(family) {
        // Fills in a tombstone (created_at IS NULL) if a revocation came first, keeping it revoked;
        // an existing family makes the statement change nothing, which is an error (ids are random).
        const created = await count(
          `INSERT INTO token_families (id, grant_id, client_id, user_id, scope, resources, auth_time, created_at,
             expires_at, client_key_thumbprint, revoked_at, revoked_reason, dpop_jkt)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
           ON CONFLICT (id) DO UPDATE SET
             grant_id = excluded.grant_id, client_id = excluded.client_id, user_id = excluded.user_id,
             scope = excluded.scope, resources = excluded.resources, auth_time = excluded.auth_time,
             created_at = excluded.created_at, expires_at = excluded.expires_at,
             client_key_thumbprint = excluded.client_key_thumbprint, dpop_jkt = excluded.dpop_jkt
           WHERE token_families.created_at IS NULL`,
          [
            family.id,
            family.grantId,
            family.clientId,
            family.userId,
            jsonParameter(family.scope),
            jsonParameter(family.resources),
            family.authTime,
            family.createdAt,
            family.expiresAt,
            family.clientKeyThumbprint ?? null,
            family.revokedAt ?? null,
            family.revokedReason ?? null,
            family.dpopJkt ?? null,
          ],
        );
        if (created === 0) throw new Error(`token family ${family.id} already exists`);
      },
      async get(id) {
        const row = await first('SELECT * FROM token_families WHERE id = $1 AND created_at IS NOT NULL', [
          id,
        ]);
        return row === undefined ? undefined : records.familyFromRow(row);
      },
      async revoke(id, reason, now) {
        // One statement: revokes a live family, or leaves a tombstone for one not created yet.
        await query(
          `INSERT INTO token_families (id, revoked_at, revoked_reason) VALUES ($1, $2, $3)
           ON CONFLICT (id) DO UPDATE SET revoked_at = excluded.revoked_at, revoked_reason = excluded.revoked_reason
           WHERE token_families.revoked_at IS NULL`,
          [id, now, reason],
        );
      },
      async revokeByClient(clientId, reason, now) {
        return count(
          `UPDATE token_families SET revoked_at = $1, revoked_reason = $2
           WHERE client_id = $3 AND revoked_at IS NULL`,
          [now, reason, clientId],
        );
      },
      async listByClient(clientId) {
        return (
          await query('SELECT * FROM token_families WHERE client_id = $1 ORDER BY created_at, id', [clientId])
        ).map(records.familyFromRow);
      },
    },

    refreshTokens: {
      async create(token) {
        await insertRefreshToken(pool, token);
      },
      async get(digest) {
        const row = await first('SELECT * FROM refresh_tokens WHERE digest = $1', [digest]);
        return row === undefined ? undefined : records.refreshTokenFromRow(row);
      },
      async rotate(presentedDigest, next, now, graceMs) {
        return withTransaction(pool, async (client) => {
          // The row lock serialises rotations of one token: the second waits and then reads the
          // first one's used_at, so of N first uses exactly one is `rotated`.
          const { rows } = await client.query<Row>(
            'SELECT * FROM refresh_tokens WHERE digest = $1 FOR UPDATE',
            [presentedDigest],
          );
          if (rows[0] === undefined) return { outcome: 'unknown' } as const;
          const presented = records.refreshTokenFromRow(rows[0]);
          if (presented.usedAt !== undefined && !withinGrace(presented.usedAt, now, graceMs)) {
            return { outcome: 'reused', presented } as const;
          }
          await insertRefreshToken(client, next);
          if (presented.usedAt !== undefined) return { outcome: 'rotated_in_grace', presented } as const;
          await client.query('UPDATE refresh_tokens SET used_at = $1 WHERE digest = $2', [
            now,
            presentedDigest,
          ]);
          return { outcome: 'rotated', presented: { ...presented, usedAt: now } } as const;
        });
      },
    },

    clientDocuments: {
      async record(version, now) {
        return withTransaction(pool, async (client) => {
          // A row lock cannot serialise this: the first version of a client has no row to lock, and
          // `ORDER BY ... LIMIT 1 FOR UPDATE` would re-check the old latest row, not find the new one.
          // So a transaction-scoped advisory lock on the client id, taken before reading the latest.
          await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
            DOCUMENT_LOCK,
            version.clientId,
          ]);
          const latestRows = await client.query<Row>(
            'SELECT * FROM client_documents WHERE client_id = $1 ORDER BY fetched_at DESC, seq DESC LIMIT 1',
            [version.clientId],
          );
          const latest =
            latestRows.rows[0] === undefined ? undefined : records.clientDocumentFromRow(latestRows.rows[0]);
          const headers = jsonParameter(version.headers);
          if (latest !== undefined && latest.digest === version.digest) {
            await client.query(
              `UPDATE client_documents SET last_seen_at = $1, headers = $2
               WHERE client_id = $3 AND fetched_at = $4 AND digest = $5`,
              [now, headers, latest.clientId, latest.fetchedAt, latest.digest],
            );
            return {
              changed: false,
              current: { ...latest, lastSeenAt: now, headers: { ...version.headers } },
            } as const;
          }
          await client.query(
            `INSERT INTO client_documents (client_id, digest, body, fetched_at, last_seen_at, headers)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
            [version.clientId, version.digest, version.body, version.fetchedAt, now, headers],
          );
          const current = { ...version, headers: { ...version.headers }, lastSeenAt: now };
          return latest === undefined
            ? ({ changed: true, current } as const)
            : ({ changed: true, current, previous: latest } as const);
        });
      },
      async latest(clientId) {
        const row = await first(
          'SELECT * FROM client_documents WHERE client_id = $1 ORDER BY fetched_at DESC, seq DESC LIMIT 1',
          [clientId],
        );
        return row === undefined ? undefined : records.clientDocumentFromRow(row);
      },
      async history(clientId, limit) {
        return (
          await query(
            'SELECT * FROM client_documents WHERE client_id = $1 ORDER BY fetched_at DESC, seq DESC LIMIT $2',
            [clientId, limit ?? null],
          )
        ).map(records.clientDocumentFromRow);
      },
    },

    replay: {
      async remember(key, expiresAt, now) {
        // Inserts a new key or takes over an expired one; a live entry makes this a no-op. A concurrent
        // remember of the same key waits on the row and finds it live.
        const remembered = await count(
          `INSERT INTO replay (key, expires_at) VALUES ($1, $2)
           ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay.expires_at <= $3`,
          [key, expiresAt, now],
        );
        return remembered > 0;
      },
      async has(key, now) {
        return (
          (await first('SELECT 1 FROM replay WHERE key = $1 AND expires_at > $2', [key, now])) !== undefined
        );
      },
    },

    audit: {
      async append(event) {
        await query(
          'INSERT INTO audit_events (at, type, client_id, user_id, reason, detail) VALUES ($1, $2, $3, $4, $5, $6)',
          [
            event.at,
            event.type,
            event.clientId ?? null,
            event.userId ?? null,
            event.reason ?? null,
            event.detail === undefined ? null : jsonParameter(event.detail),
          ],
        );
      },
      async list(options = {}) {
        // id breaks ties between events of the same millisecond: later appended, listed first.
        const rows = await query(
          `SELECT * FROM audit_events
           WHERE ($1::text IS NULL OR type = $1::text) AND ($2::text IS NULL OR client_id = $2::text)
             AND ($3::text IS NULL OR user_id = $3::text)
           ORDER BY at DESC, id DESC LIMIT $4`,
          [options.type ?? null, options.clientId ?? null, options.userId ?? null, options.limit ?? null],
        );
        return rows.map(records.auditEventFromRow);
      },
    },

    async purgeExpired(now) {
      await withTransaction(pool, async (client) => {
        for (const table of PURGED_TABLES) {
          await client.query(`DELETE FROM ${table} WHERE expires_at <= $1`, [now]);
        }
      });
    },

    async close() {
      await pool.end();
    },
  };
}

/** First key of the advisory lock that serialises `clientDocuments.record` per client id. */
const DOCUMENT_LOCK = 0x6364_6f63; // "cdoc"

/** Tables with an `expires_at` that `purgeExpired` cleans (constants: never caller input). */
const PURGED_TABLES = [
  'sessions',
  'authorization_requests',
  'authorization_codes',
  'refresh_tokens',
  'replay',
];

async function insertRefreshToken(runner: pg.Pool | pg.PoolClient, token: RefreshTokenRecord): Promise<void> {
  await runner.query(
    'INSERT INTO refresh_tokens (digest, family_id, issued_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5)',
    [token.digest, token.familyId, token.issuedAt, token.expiresAt, token.usedAt ?? null],
  );
}

/**
 * A value for a jsonb column, as JSON text. node-postgres would send a JS array as a PostgreSQL
 * array literal, so every jsonb value is serialised here, the same way.
 */
function jsonParameter(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * How node-postgres returns a column: jsonb already parsed (into fresh objects on every read, so
 * callers get their own copies), BIGINT as a number (see `types`), BOOLEAN as a boolean.
 */
const columns: ColumnReader = {
  text: textColumn,
  int(row, column) {
    const value = row[column];
    if (typeof value !== 'number') throw new Error(`column ${column} is not a number`);
    return value;
  },
  json<T>(row: ColumnRow, column: string): T {
    const value = row[column];
    if (value === null || value === undefined) throw new Error(`column ${column} is NULL`);
    return value as T;
  },
  bool(row, column) {
    const value = row[column];
    if (typeof value !== 'boolean') throw new Error(`column ${column} is not a boolean`);
    return value;
  },
};
const { text, int } = columns;
const records = createRowRecords(columns);

function union(existing: readonly string[], added: readonly string[]): string[] {
  return [...new Set([...existing, ...added])];
}

/** RefreshTokenStore.rotate: a used token is re-presented in grace only when there is a grace window at all. */
function withinGrace(usedAt: number, now: number, graceMs: number): boolean {
  return graceMs > 0 && usedAt >= now - graceMs;
}
