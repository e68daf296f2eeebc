import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { describeStoreContract } from './store-contract.ts';
import { describeGovernanceStoreContract } from './store-contract-governance.ts';
import { describeInventoryStoreContract } from './store-contract-inventory.ts';

describeStoreContract('memory', createMemoryStore);
describeGovernanceStoreContract('memory', createMemoryStore);
describeInventoryStoreContract('memory', createMemoryStore);
