import type { UserRecord, UserStore } from '../user-store.ts';
import { compare, copy, copyOf, type MemoryState } from './state.ts';

export function memoryUserStore({ users, userIdsByName }: MemoryState): UserStore {
  // A scan rather than an index: subjects are set rarely (by an operator), and the memory store
  // holds a development or test server's handful of accounts.
  const subTaken = (sub: string | undefined, exceptId?: string) =>
    sub !== undefined && [...users.values()].some((user) => user.sub === sub && user.id !== exceptId);
  const update = (id: string, change: (user: UserRecord) => void) => {
    const user = users.get(id);
    if (user === undefined) return false;
    change(user);
    return true;
  };
  return {
    async create(user) {
      if (users.has(user.id) || userIdsByName.has(user.username) || subTaken(user.sub)) return false;
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
      return update(id, (user) => {
        user.passwordHash = passwordHash;
      });
    },
    async setDisabled(id, disabledAt) {
      return update(id, (user) => {
        if (disabledAt === undefined) delete user.disabledAt;
        else user.disabledAt = disabledAt;
      });
    },
    async setSub(id, sub) {
      if (!users.has(id)) return 'unknown';
      if (subTaken(sub, id)) return 'taken';
      update(id, (user) => {
        if (sub === undefined) delete user.sub;
        else user.sub = sub;
      });
      return 'set';
    },
    async setAdmin(id, admin) {
      return update(id, (user) => {
        if (admin) user.admin = true;
        else delete user.admin;
      });
    },
    async delete(id) {
      const user = users.get(id);
      if (user === undefined) return false;
      users.delete(id);
      userIdsByName.delete(user.username);
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
