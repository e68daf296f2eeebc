import { withinGrace } from '../record-rules.ts';
import type { RefreshTokenRecord, RefreshTokenStore } from '../refresh-token-store.ts';
import type { SqliteConnection } from './connection.ts';
import { records, rows } from './rows.ts';

export function sqliteRefreshTokenStore({ sql, write }: SqliteConnection): RefreshTokenStore {
  const insert = (token: RefreshTokenRecord): void => {
    sql(
      'INSERT INTO refresh_tokens (digest, family_id, issued_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?)',
    ).run(...rows.refreshTokenRow(token));
  };
  return {
    async create(token) {
      await write(() => insert(token));
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
        insert(next);
        if (presented.usedAt !== undefined) return { outcome: 'rotated_in_grace', presented } as const;
        sql('UPDATE refresh_tokens SET used_at = ? WHERE digest = ?').run(now, presentedDigest);
        return { outcome: 'rotated', presented: { ...presented, usedAt: now } } as const;
      }, true);
    },
  };
}
