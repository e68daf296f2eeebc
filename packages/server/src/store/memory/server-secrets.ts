import type { ServerSecretStore } from '../server-secret-store.ts';
import type { MemoryState } from './state.ts';

export function memoryServerSecretStore({ secrets }: MemoryState): ServerSecretStore {
  return {
    async getOrCreate(name, create) {
      const existing = secrets.get(name);
      if (existing !== undefined) return existing;
      const value = create();
      secrets.set(name, value);
      return value;
    },
  };
}
