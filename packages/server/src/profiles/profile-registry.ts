import type { AuthorizationServerOptions } from '../options.ts';
import { atprotoProfile } from './atproto-profile.ts';
import { mcpProfile } from './mcp-profile.ts';
import type { Profile } from './profile.ts';

/** The generic server: no defaults beyond the options' own, no hooks. */
export const defaultProfile: Profile = {
  name: 'default',
  applyDefaults: (options) => options,
  hooks: () => ({}),
};

const PROFILES: Record<NonNullable<AuthorizationServerOptions['profile']>, Profile> = {
  default: defaultProfile,
  mcp: mcpProfile,
  atproto: atprotoProfile,
};

/** The profile the options name (`profile`, default `default`). */
export function profileNamed(name: AuthorizationServerOptions['profile']): Profile {
  return PROFILES[name ?? 'default'];
}
