import { atprotoLoopbackClientMetadata, isAtprotoLoopbackClientId } from '@gatehouse-oauth/core';
import type { ClientRecord } from '../store/store.ts';
import type { ClientResolver } from './client-resolver.ts';

/**
 * The AT Protocol loopback development client (AT-5, core/atproto/loopback-client.ts): a client_id
 * of `http://localhost` (with its optional `redirect_uri` and `scope` query) resolves to a virtual
 * public document, built from the client_id, without any fetch and without a store write. It is
 * recorded as `cimd` provenance (a metadata document, if a virtual one) so every rule for
 * document clients applies, and never stored: each distinct client_id string is its own client.
 *
 * A client_id that is meant as the loopback client but is malformed is refused here
 * (invalid_client, `atproto_loopback_*`), on the server's own page at the authorization endpoint.
 */
export function loopbackClientResolver(): ClientResolver {
  return {
    async resolve(clientId) {
      if (!isAtprotoLoopbackClientId(clientId)) return undefined;
      const record: ClientRecord = {
        clientId,
        kind: 'cimd',
        metadata: atprotoLoopbackClientMetadata(clientId),
        // A fixed past: grants are never older than the client (authorization-endpoint.ts covers()).
        createdAt: 0,
        updatedAt: 0,
      };
      return record;
    },
  };
}
