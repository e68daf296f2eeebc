import type { Parameters } from '@gatehouse/core';
import type { ClientRecord } from '../store/store.ts';

/** A token endpoint request whose client is authenticated. */
export interface TokenRequest {
  parameters: Parameters;
  raw: URLSearchParams;
  client: ClientRecord;
}
