import * as oauth from 'oauth4webapi';
import type { TestDeployment } from './gatehouse-over-tls.ts';

/** RFC 8414 discovery of a test deployment by oauth4webapi, which also checks the issuer (§3.3). */
export async function discover(deployment: TestDeployment): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(deployment.issuer);
  return oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { [oauth.customFetch]: deployment.fetch, algorithm: 'oauth2' }),
  );
}
