import { clientLogoResponse } from '../cimd/client-logo-cache.ts';
import type { ServerContext } from '../context.ts';
import type { ServerApp } from '../http/server-app.ts';
import { interactionEndpoints } from './interaction-endpoint.ts';

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
  // Serves only what the consent page prefetched; never fetches (CIMD-CACHE-6).
  app.get(`${base}/client-logo/:key`, (c) => clientLogoResponse(ctx.clientLogos, c.req.param('key')));
}
