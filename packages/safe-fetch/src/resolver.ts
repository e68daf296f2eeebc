/**
 * Name resolution, injectable. Production uses the system resolver (getaddrinfo through
 * `dns.lookup`, so /etc/hosts and the host's resolver configuration apply); tests inject a stub that
 * maps `client.test` to 127.0.0.1, or that returns hostile answers, without touching real DNS.
 */
import { lookup } from 'node:dns/promises';
import { SafeFetchError } from './errors.ts';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address the name resolves to. The fetcher checks all of them before dialling any. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => {
  try {
    // `verbatim` keeps the resolver's order, which Happy Eyeballs (autoSelectFamily) then uses.
    const answers = await lookup(hostname, { all: true, order: 'verbatim' });
    return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    throw new SafeFetchError('dns_failure', `cannot resolve ${hostname}: ${String(code ?? cause)}`, {
      cause,
    });
  }
};
