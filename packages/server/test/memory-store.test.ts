import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { describeStoreContract } from './store-contract.ts';
import { describeAuditStoreContract } from './store-contract-audit.ts';
import { describeDocumentFetchStoreContract } from './store-contract-document-fetches.ts';
import { describeDocumentFreshnessStoreContract } from './store-contract-document-freshness.ts';
import { describeExchangeStoreContract } from './store-contract-exchanges.ts';
import { describeGovernanceStoreContract } from './store-contract-governance.ts';
import { describeInstallationStoreContract } from './store-contract-installations.ts';
import { describeInventoryStoreContract } from './store-contract-inventory.ts';

describeStoreContract('memory', createMemoryStore);
describeGovernanceStoreContract('memory', createMemoryStore);
describeAuditStoreContract('memory', createMemoryStore);
describeDocumentFetchStoreContract('memory', createMemoryStore);
describeDocumentFreshnessStoreContract('memory', createMemoryStore);
describeExchangeStoreContract('memory', createMemoryStore);
describeInventoryStoreContract('memory', createMemoryStore);
describeInstallationStoreContract('memory', createMemoryStore);
