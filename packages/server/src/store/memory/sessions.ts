import type { SessionStore } from '../session-store.ts';
import { copy, insertNew, type MemoryState } from './state.ts';

export function memorySessionStore({ sessions }: MemoryState): SessionStore {
  return {
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
  };
}
