import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { describeStoreContract } from './store-contract.ts';
import { describeExchangeStoreContract } from './store-contract-exchanges.ts';
import { describeGovernanceStoreContract } from './store-contract-governance.ts';

describeStoreContract('memory', createMemoryStore);
describeGovernanceStoreContract('memory', createMemoryStore);
describeExchangeStoreContract('memory', createMemoryStore);
