import { html } from 'hono/html';

/** The login page: the sign-in of an authorization request, and of the connected apps page. */
export const loginMessages = {
  title: 'Sign in',
  heading: (serviceName: string) => `Sign in to ${serviceName}`,
  /** Which application the sign-in is for: its verified identity (the client_id, or its host). */
  continueTo: (clientLabel: string) => html`to continue to <strong>${clientLabel}</strong>`,
  failed: 'The username or password is not right.',
  onlyAccountAsked: (hint: string) => html`The application asked to sign in as <strong>${hint}</strong>.`,
  onlyAccountMismatch: (hint: string) =>
    html`This application asked to sign in as <strong>${hint}</strong>, so only that account can sign in here. To use another account, go back to the application and start again with it.`,
  username: 'Username',
  password: 'Password',
  submit: 'Sign in',
  cancel: 'Cancel',
  cancelHint: 'Cancel takes you back to the application without signing in.',
};
