import { html } from 'hono/html';

/** The server's own error page: a sign-in request that cannot go back to the application. */
export const errorMessages = {
  title: 'Error',
  heading: 'This sign-in request cannot continue',
  /** The client the failed request named: as the request named it, so not a verified identity. */
  clientLine: (clientId: string) =>
    html`Application (client_id as the request named it): <code>${clientId}</code>`,
  advice:
    'Go back to the application you came from and try again. If this keeps happening, tell its developer the error above, with the reference below.',
};
