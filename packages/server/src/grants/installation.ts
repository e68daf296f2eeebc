import { isLoopbackRedirectUri } from '@gatehouse-oauth/core';
import type { GrantRecord, TokenFamilyRecord } from '../store/store.ts';

/**
 * Installations (issue #17 item 3, decision 0044): which copy of a client, on which machine, holds
 * a session. A grant is the user's consent for a client at one registered redirect URI (decision
 * 0006); under it, each token family is one sign-in. For an https redirect the redirect URI names
 * the installation (a web app has one). For a loopback (`http://127.0.0.1`, `[::1]`, `localhost`,
 * RFC 8252 §7.3) or private-use-scheme (RFC 8252 §7.1) redirect, every machine running the app
 * registers the same URI, so it says nothing about which machine: there the installation is the
 * DPoP key the family is bound to (RFC 9449: a key that never leaves its machine), or, without
 * DPoP, the refresh-token family itself (one sign-in, one machine).
 *
 * This is the one derivation every reader uses: the connections of a user or client, the
 * connected-apps page, and revocation by installation (lifecycle `revokeInstallation`). The key is
 * an opaque string; compare it, never parse it.
 */

/** What an installation key is derived from: the grant's client and redirect, the family's key. */
export type InstallationGrant = Pick<GrantRecord, 'clientId' | 'redirectUri'>;
export type InstallationFamily = Pick<TokenFamilyRecord, 'id' | 'dpopJkt'>;

/**
 * Whether a registered redirect URI is shared by every machine running the client: loopback http,
 * or a private-use scheme (anything but http and https). Such redirects need a finer key.
 */
export function redirectSharedByMachines(redirectUri: string): boolean {
  if (isLoopbackRedirectUri(redirectUri)) return true;
  return !redirectUri.startsWith('https:') && !redirectUri.startsWith('http:');
}

/**
 * The installation a family of a grant belongs to. Without a family (a grant with no live
 * session), or for a redirect that names the installation by itself, the key is the grant's
 * (client_id, redirect URI).
 */
export function installationKeyOf(grant: InstallationGrant, family?: InstallationFamily): string {
  if (family === undefined || !redirectSharedByMachines(grant.redirectUri)) {
    return JSON.stringify([grant.clientId, grant.redirectUri]);
  }
  const machine = family.dpopJkt === undefined ? `family:${family.id}` : `dpop:${family.dpopJkt}`;
  return JSON.stringify([grant.clientId, grant.redirectUri, machine]);
}

/** One installation under a grant: its key and its families (sessions). */
export interface GrantInstallation<Family extends InstallationFamily = TokenFamilyRecord> {
  key: string;
  /** Bound to a DPoP key (the RFC 7638 thumbprint), when the installation is told apart by one. */
  dpopJkt?: string;
  families: Family[];
}

/**
 * The families of one grant, grouped by installation, in the order each installation first
 * appears in `families`. A grant without families is one installation with none.
 */
export function installationsOf<Family extends InstallationFamily>(
  grant: InstallationGrant,
  families: readonly Family[],
): GrantInstallation<Family>[] {
  if (families.length === 0) return [{ key: installationKeyOf(grant), families: [] }];
  const byKey = new Map<string, GrantInstallation<Family>>();
  for (const family of families) {
    const key = installationKeyOf(grant, family);
    let installation = byKey.get(key);
    if (installation === undefined) {
      const bound = redirectSharedByMachines(grant.redirectUri) ? family.dpopJkt : undefined;
      installation = { key, ...(bound === undefined ? {} : { dpopJkt: bound }), families: [] };
      byKey.set(key, installation);
    }
    installation.families.push(family);
  }
  return [...byKey.values()];
}

/**
 * What a store reads, per (client_id, registered redirect URI) among the live grants it selects,
 * for `installationCount`: the SQL stores count machines where the rows are (a blast radius may
 * span 100,000 grants), and this decides what they mean, so every backend counts alike.
 */
export interface RedirectMachines {
  redirectUri: string;
  /**
   * Distinct machines among the live families of those grants: a DPoP thumbprint, else the family
   * itself (`dpop:<jkt>` / `family:<id>`, the machine part of `installationKeyOf`).
   */
  machines: number;
  /** Whether one of those grants holds no live family: it is one installation by itself. */
  bare: boolean;
}

/**
 * How many installations (decision 0044) the live grants of a selection hold: the distinct
 * `installationKeyOf` keys `installationsOf` would give them, across grants. A redirect that names
 * its installation (https) is one, however many users and sessions; a redirect every machine
 * shares (loopback, private-use) is one per machine, plus one when some grant has no session (its
 * key is the redirect's own).
 */
export function installationCount(redirects: readonly RedirectMachines[]): number {
  let count = 0;
  for (const { redirectUri, machines, bare } of redirects) {
    count += redirectSharedByMachines(redirectUri) ? machines + (bare ? 1 : 0) : 1;
  }
  return count;
}
