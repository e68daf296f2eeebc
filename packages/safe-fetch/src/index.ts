/**
 * @gatehouse-oauth/safe-fetch: the hardened outbound fetcher for CIMD documents, jwks_uri, logos and
 * software statement keys. See README.md and docs/decisions/0004-safe-fetch.md.
 */

export {
  type AddressPolicy,
  assertAddressAllowed,
  createCheckedLookup,
  isAddressAllowed,
  resolveAndCheck,
} from './address-check.ts';
export {
  type CheckedAgentOptions,
  type CheckedConnectorOptions,
  createCheckedAgent,
  createCheckedConnector,
  createProxyDispatcher,
  type ProxyDispatcherOptions,
  type TrustOptions,
  trustContext,
} from './dispatchers.ts';
export {
  isSafeFetchError,
  SafeFetchError,
  type SafeFetchErrorDetails,
  type SafeFetchReason,
} from './errors.ts';
export {
  createPeerCertificates,
  describeCertificate,
  type PeerCertificate,
  type PeerCertificates,
  peerCertificateOf,
} from './peer-certificate.ts';
export { type ResolvedAddress, type Resolver, systemResolver } from './resolver.ts';
export { isJsonMediaType } from './response-checks.ts';
export {
  type ConditionalHeaders,
  createSafeFetch,
  DEFAULT_ACCEPT,
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_BYTES,
  DEFAULT_USER_AGENT,
  type FetchLimits,
  type SafeFetch,
  type SafeFetchInit,
  type SafeFetchOptions,
  type SafeResponse,
} from './safe-fetch.ts';
export {
  type AddressClassification,
  classifyAddress,
  describeRange,
  type EmbeddedIPv4Kind,
  IPV4_SPECIAL_PURPOSE,
  IPV6_OUTSIDE_GLOBAL_UNICAST,
  IPV6_SPECIAL_PURPOSE,
  type SpecialPurposeMatch,
  type SpecialPurposeRange,
} from './special-purpose-addresses.ts';
