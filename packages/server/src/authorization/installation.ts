import { findRegisteredRedirectUri } from '@gatehouse-oauth/core';
import type { ClientRecord } from '../store/store.ts';

/**
 * Which installation of a client a request comes from: the registered redirect URI its redirect_uri
 * matched ("grants are per installation", decision 0006). For a loopback redirect that is
 * the port-less registered form, so a native app that binds a new ephemeral port on every start
 * keeps one grant instead of minting a new one per connection.
 */
export function installationOf(client: ClientRecord, redirectUri: string): string {
  return findRegisteredRedirectUri(client.metadata.redirect_uris, redirectUri) ?? redirectUri;
}
