/** What the registration endpoint tests (registration-*.test.ts) share: a public client's metadata, the error code of a response. */

import { APP_REDIRECT } from './test-server.ts';

export type Json = Record<string, unknown>;
export const publicClient = {
  redirect_uris: [APP_REDIRECT],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  client_name: 'Test client',
};

export async function errorOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: string }).error;
}
