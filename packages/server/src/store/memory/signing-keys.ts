import type { SigningKeyStore } from '../signing-key-store.ts';
import { compare, copy, type MemoryState } from './state.ts';

export function memorySigningKeyStore({ signingKeys }: MemoryState): SigningKeyStore {
  return {
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
  };
}
