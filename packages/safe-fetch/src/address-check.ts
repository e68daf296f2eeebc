/**
 * The address check, done where the address is used: inside the socket's `lookup`, on the very
 * answers the socket then dials (CIMD-FETCH-14, from atproto `fetch-node/unicast.ts`). Checking in a
 * separate step before `fetch()` would let DNS rebinding slip in between: the name could resolve to a
 * public address for the check and to 169.254.169.254 for the connect. Here there is one resolution
 * per connection, its answers are all checked, and net.connect receives only those answers, so the
 * checked address is the dialled address (it is pinned for the life of the socket).
 *
 * Multi-answer policy: if ANY answer is special-purpose the whole name is refused, rather than
 * dialling only the public answers. A name that mixes 10.0.0.1 with a public address is either
 * misconfigured or a rebinding attempt, and Happy Eyeballs would otherwise race the answers in an
 * order we do not control. See docs/decisions/0004-safe-fetch.md.
 */
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { SafeFetchError } from './errors.ts';
import type { ResolvedAddress, Resolver } from './resolver.ts';
import {
  type AddressClassification,
  classifyAddress,
  describeRange,
  type SpecialPurposeMatch,
} from './special-purpose-addresses.ts';

export interface AddressPolicy {
  /**
   * Development only (CIMD-FETCH-7): let loopback through (127.0.0.0/8, ::1, and ::ffff:127.x.y.z,
   * which the kernel treats as 127.x.y.z). Nothing else special is opened by it; in particular NAT64
   * and 6to4 wrappings of 127.0.0.1 stay refused, since those are routed off the machine.
   */
  allowLoopback: boolean;
}

function loopbackAllowed(match: SpecialPurposeMatch, policy: AddressPolicy): boolean {
  if (!policy.allowLoopback || match.range.loopback !== true) return false;
  return match.embedded === undefined || match.embedded.via.embedsIPv4?.kind === 'ipv4-mapped';
}

/** Whether the policy lets this address be dialled. */
export function isAddressAllowed(address: string, policy: AddressPolicy): boolean {
  const classification = classifyAddress(address);
  return !classification.special || loopbackAllowed(classification, policy);
}

/**
 * Throws `special_purpose_address` unless the policy lets `address` be dialled. CIMD-FETCH-5 (the
 * client ID URL) and CIMD-FETCH-6 (URLs inside the document) both end here.
 */
export function assertAddressAllowed(address: string, policy: AddressPolicy, hostname?: string): void {
  let classification: AddressClassification;
  try {
    classification = classifyAddress(address);
  } catch (cause) {
    throw new SafeFetchError('dns_failure', `resolver returned a non-address: ${address}`, { cause });
  }
  if (!classification.special || loopbackAllowed(classification, policy)) return;
  const range = describeRange(classification.range);
  const via = classification.embedded
    ? ` (embeds ${classification.embedded.address} via ${classification.embedded.via.cidr})`
    : '';
  const name = hostname !== undefined && hostname !== address ? `${hostname} -> ` : '';
  throw new SafeFetchError('special_purpose_address', `refused ${name}${address}${via}: ${range}`, {
    address,
    range,
  });
}

/**
 * Resolves `hostname` and checks every answer; refuses the name if any answer is special (see the
 * multi-answer policy above). Returns the answers, all allowed.
 */
export async function resolveAndCheck(
  hostname: string,
  resolver: Resolver,
  policy: AddressPolicy,
): Promise<readonly ResolvedAddress[]> {
  let answers: readonly ResolvedAddress[];
  try {
    answers = await resolver(hostname);
  } catch (cause) {
    if (cause instanceof SafeFetchError) throw cause;
    throw new SafeFetchError('dns_failure', `cannot resolve ${hostname}`, { cause });
  }
  if (answers.length === 0) throw new SafeFetchError('dns_failure', `${hostname} has no addresses`);
  for (const answer of answers) {
    if (isIP(answer.address) === 0) {
      throw new SafeFetchError('dns_failure', `resolver returned a non-address for ${hostname}`, {
        address: String(answer.address),
      });
    }
    assertAddressAllowed(answer.address, policy, hostname);
  }
  return answers;
}

/**
 * A `lookup` for net.connect / tls.connect (and so for undici's connector) that resolves with the
 * injected resolver and checks every answer before the socket dials any of them. A refusal reaches
 * the socket as its connect error, before any TCP connection is attempted.
 */
export function createCheckedLookup(resolver: Resolver, policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolveAndCheck(hostname, resolver, policy).then(
      (answers) => {
        const wanted =
          options.family === 4 || options.family === 6
            ? answers.filter((a) => a.family === options.family)
            : answers;
        const first = wanted[0];
        if (first === undefined) {
          callback(new SafeFetchError('dns_failure', `${hostname} has no IPv${options.family} address`), '');
        } else if (options.all === true) {
          callback(
            null,
            wanted.map(({ address, family }) => ({ address, family })),
          );
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: unknown) => {
        callback(error instanceof Error ? error : new SafeFetchError('dns_failure', String(error)), '');
      },
    );
  };
}
