import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { describeStoreContract } from './store-contract.ts';
import { describeDocumentFreshnessStoreContract } from './store-contract-document-freshness.ts';
import { describeGovernanceStoreContract } from './store-contract-governance.ts';

describeStoreContract('memory', createMemoryStore);
describeGovernanceStoreContract('memory', createMemoryStore);
describeDocumentFreshnessStoreContract('memory', createMemoryStore);
