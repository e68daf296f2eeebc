import { clientLogoResponse } from '../cimd/client-logo-cache.ts';
import type { ServerContext } from '../context.ts';
import type { ServerApp } from '../http/server-app.ts';
import { accountEndpoints } from './account-endpoint.ts';
import { interactionEndpoints } from './interaction-endpoint.ts';
import { themeLogoResponse } from './theme-logo.ts';

/** The pages surface: what the user's browser sees between request and answer (login, consent, errors). */
export function mountPageRoutes(app: ServerApp, ctx: ServerContext): void {
  const base = ctx.basePath;
  const interaction = interactionEndpoints(ctx);
  app.get(`${base}/interaction/:id`, (c) => interaction.show(c.req.raw, c.req.param('id')));
  app.post(`${base}/interaction/:id/login`, (c) =>
    // The transport's peer address (http/request-info.ts), for the login throttle's source key.
    interaction.login(c.req.raw, c.req.param('id'), c.env?.remoteAddress),
  );
  app.post(`${base}/interaction/:id/consent`, (c) => interaction.consent(c.req.raw, c.req.param('id')));
  app.post(`${base}/interaction/:id/cancel`, (c) => interaction.cancel(c.req.raw, c.req.param('id')));
  // Serves only what the consent page prefetched; never fetches (CIMD-CACHE-6).
  app.get(`${base}/client-logo/:key`, (c) => clientLogoResponse(ctx.clientLogos, c.req.param('key')));
  // The operator's logo (`theme.logoFile`), read at start.
  app.get(`${base}/theme/logo`, (c) => themeLogoResponse(ctx.themeLogo, c.req.raw));
  // Connected apps (issue #15 item 2, AT-14).
  const account = accountEndpoints(ctx);
  app.get(`${base}/account`, (c) => account.show(c.req.raw));
  app.post(`${base}/account/login`, (c) => account.login(c.req.raw, c.env?.remoteAddress));
  app.post(`${base}/account/revoke`, (c) => account.revoke(c.req.raw));
  app.post(`${base}/account/sign-out`, (c) => account.signOut(c.req.raw));
}
