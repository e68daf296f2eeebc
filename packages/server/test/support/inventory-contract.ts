/**
 * What the inventory store contract (store-contract-inventory*.ts, issue #14) shares: the records it
 * stores (a CIMD client, a registered client, operator fields, a token family) at explicit times
 * around T, and the harness each part of the suite gets from describeInventoryStoreContract.
 */
import type {
  ClientKind,
  ClientRecord,
  InventoryQuery,
  OperatorFields,
  Store,
  TokenFamilyRecord,
} from '../../src/store/store.ts';
import type { StoreContractOptions } from '../store-contract.ts';

export const T = 1_750_000_000_000;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const CONCURRENCY = 20;

/** The store of the running test (fresh and empty for each), with the suite's shared helpers. */
export interface InventoryContractHarness {
  store: () => Store;
  /** The client_ids the inventory lists for `query`, sorted by client_id. */
  ids: (query?: Partial<InventoryQuery>) => Promise<string[]>;
  /** A CIMD client, a DCR client redirecting to a host, a static client with loopback redirects. */
  fleet: () => Promise<void>;
  openTwoHandles: StoreContractOptions['openTwoHandles'];
}

export function cimd(
  clientId: string,
  extra: Record<string, unknown> = {},
  redirectUris?: string[],
): ClientRecord {
  return {
    clientId,
    kind: 'cimd',
    metadata: {
      client_id: clientId,
      redirect_uris: redirectUris ?? [`${new URL(clientId).origin}/callback`],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      ...extra,
    },
    createdAt: T,
    updatedAt: T,
  };
}

export function registered(
  clientId: string,
  kind: ClientKind,
  redirectUris: string[],
  softwareId?: string,
  overrides: Partial<ClientRecord> = {},
): ClientRecord {
  return {
    clientId,
    kind,
    metadata: {
      client_id: clientId,
      redirect_uris: redirectUris,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      ...(softwareId === undefined ? {} : { software_id: softwareId }),
    },
    createdAt: T,
    updatedAt: T,
    ...overrides,
  };
}

export function fields(clientId: string, overrides: Partial<OperatorFields> = {}): OperatorFields {
  return { clientId, labels: [], updatedBy: 'cli:alice', updatedAt: T, ...overrides };
}

export function familyOf(
  id: string,
  grantId: string,
  overrides: Partial<TokenFamilyRecord> = {},
): TokenFamilyRecord {
  return {
    id,
    grantId,
    clientId: 'c1',
    userId: 'u1',
    scope: ['read'],
    resources: ['https://api.example/'],
    authTime: T,
    createdAt: T,
    expiresAt: T + 30 * DAY,
    ...overrides,
  };
}
