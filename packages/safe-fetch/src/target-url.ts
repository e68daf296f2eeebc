/**
 * What may be fetched at all, decided from the URL alone before any resolution or socket.
 */
import { isIP } from 'node:net';
import { type AddressPolicy, assertAddressAllowed } from './address-check.ts';
import { SafeFetchError } from './errors.ts';
import { bareAddress } from './ip-address.ts';

export interface TargetUrl {
  url: URL;
  /** The host without IPv6 brackets. */
  hostname: string;
  /** True when the host is an IP literal: it is checked here, since no lookup will run for it. */
  literal: boolean;
}

export function parseTargetUrl(input: string | URL, policy: AddressPolicy): TargetUrl {
  let url: URL;
  try {
    // WHATWG parsing normalises `https://2130706433/`, `https://0x7f.1/`, `https://017700000001/`
    // and `https://127.0.0.1./` to `127.0.0.1`, so the literal checked below is the one dialled.
    url = new URL(input);
  } catch (cause) {
    throw new SafeFetchError('invalid_url', 'not a URL', { cause });
  }
  const href = url.href;
  // CIMD-FETCH-9 / AT-15: one known, supported scheme. http:, file:, data:, javascript:, ftp:, ws:
  // and everything else are refused before anything is resolved.
  if (url.protocol !== 'https:') {
    throw new SafeFetchError('scheme_not_https', `only https URLs are fetched, not ${url.protocol}`, {
      url: href,
      value: url.protocol,
    });
  }
  // Credentials in a URL would be sent as Authorization by some clients and leak into logs by all.
  if (url.username !== '' || url.password !== '') {
    throw new SafeFetchError('userinfo', 'URLs with a username or password are not fetched', {
      url: href,
    });
  }
  const hostname = bareAddress(url.hostname);
  const literal = isIP(hostname) !== 0;
  if (literal) {
    // net.connect skips `lookup` for IP literals, so the connect-time check would never see this
    // one: check it now (CIMD-FETCH-5, CIMD-FETCH-6).
    try {
      assertAddressAllowed(hostname, policy);
    } catch (error) {
      throw error instanceof SafeFetchError ? error.withUrl(href) : error;
    }
  }
  return { url, hostname, literal };
}
