import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { describeStoreContract } from './store-contract.ts';

describeStoreContract('memory', createMemoryStore);
