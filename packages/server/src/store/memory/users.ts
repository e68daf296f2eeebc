import type { UserStore } from '../user-store.ts';
import { compare, copy, copyOf, type MemoryState } from './state.ts';

export function memoryUserStore({ users, userIdsByName }: MemoryState): UserStore {
  return {
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
  };
}
