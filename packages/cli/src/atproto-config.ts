import type { AuthorizationServerOptions, SubjectSupplier } from '@gatehouse/server';
import type { GatehouseConfig } from './config.ts';

/**
 * The configuration's AT Protocol settings on top of the options `serve` builds (docs/atproto.md).
 *
 * The schema fills in defaults for every section (`par.required: false`, `cimd.missing_auth_method:
 * none`, `registration.enabled: true`), so the library cannot tell them from explicit choices, and
 * would refuse them as contradicting the atproto profile (profiles/atproto-profile.ts). Under
 * `profile: atproto` those three defaults are left out, so the profile decides them; the other
 * settings pass through and the profile still refuses what it cannot serve.
 */
export function withAtprotoSettings(
  config: GatehouseConfig,
  options: AuthorizationServerOptions,
  extra: { subject?: SubjectSupplier } = {},
): AuthorizationServerOptions {
  const common: Partial<AuthorizationServerOptions> = {
    ...(config.cors === undefined ? {} : { cors: config.cors }),
    ...(config.client_key_recheck_seconds === undefined
      ? {}
      : { clientKeyRecheckSeconds: config.client_key_recheck_seconds }),
    ...(extra.subject === undefined ? {} : { subject: extra.subject }),
  };
  if (config.profile !== 'atproto') return { ...options, ...common };
  const { required: _par, ...par } = options.par ?? {};
  const { missingAuthMethod: _missing, ...cimd } = options.cimd ?? {};
  const { enabled: _enabled, ...registration } = options.registration ?? {};
  return {
    ...options,
    ...common,
    par: config.par.required ? { ...par, required: true } : par,
    cimd: config.cimd.missing_auth_method === 'reject' ? { ...cimd, missingAuthMethod: 'reject' } : cimd,
    registration,
    atproto: {
      loopbackClient: config.atproto.loopback_client,
      allowClientIdPort: config.atproto.dev_allow_client_id_port,
    },
  };
}
