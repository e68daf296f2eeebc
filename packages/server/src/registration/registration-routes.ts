import type { ServerContext } from '../context.ts';
import type { RequestInfo } from '../http/request-info.ts';
import type { ServerApp } from '../http/server-app.ts';
import { clientConfigurationEndpoint } from './client-configuration-endpoint.ts';
import { registrationEndpoint } from './registration-endpoint.ts';
import type { RegistrationSettings } from './registration-settings.ts';

/** The registration surface: RFC 7591 §3 registration and RFC 7592 §2 client configuration (docs/dcr.md). */
export function mountRegistrationRoutes(
  app: ServerApp,
  ctx: ServerContext,
  settings: RegistrationSettings,
): void {
  const base = ctx.basePath;
  const register = registrationEndpoint(ctx, settings);
  const configure = clientConfigurationEndpoint(ctx, settings);
  const info = (env: RequestInfo | undefined): RequestInfo =>
    env?.remoteAddress === undefined ? {} : { remoteAddress: env.remoteAddress };
  app.all(`${base}/register`, (c) => register(c.req.raw, info(c.env)));
  app.all(`${base}/register/:client_id`, (c) => configure(c.req.raw, c.req.param('client_id'), info(c.env)));
}
