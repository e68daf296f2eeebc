import type { Parameters, VerifiedDpopProof } from '@gatehouse-oauth/core';
import type { AuthenticatedClient } from '../clients/client-authentication.ts';
import type { ServerContext } from '../context.ts';
import type { ClientRecord } from '../store/store.ts';
import type { TokenIssuing } from '../tokens/token-response.ts';

/** A token endpoint request whose client is authenticated. */
export interface TokenRequest {
  parameters: Parameters;
  raw: URLSearchParams;
  client: ClientRecord;
  /**
   * How the client authenticated on this request, and for private_key_jwt the RFC 7638 thumbprint
   * of the key that signed: grants bind token families to that key (AT-9, CIMD-CHG-3).
   */
  authentication: Pick<AuthenticatedClient, 'method' | 'keyThumbprint'>;
  /**
   * The request's DPoP proof, already verified and its jti spent (dpop/request-dpop.ts): its `jkt`
   * must match a key the code or refresh token is bound to, and binds the new tokens (RFC 9449 §5).
   */
  dpop?: Pick<VerifiedDpopProof, 'jkt'>;
}

/**
 * What a grant needs beyond issuing tokens: the store it redeems from, the audit, the logger (the
 * client-use note), the client key re-check of a refresh (AT-9), the client's trust tier with
 * the DPoP settings its refusal carries a nonce from (issue #13, grant-types.ts), and the
 * derivation of refresh token values (decision 0036).
 */
export type GrantDeps = TokenIssuing &
  Pick<
    ServerContext,
    | 'audit'
    | 'store'
    | 'logger'
    | 'clientAssertions'
    | 'userStanding'
    | 'governance'
    | 'dpop'
    | 'refreshTokenDerivation'
    | 'jwtBearer'
    | 'clients'
  >;
