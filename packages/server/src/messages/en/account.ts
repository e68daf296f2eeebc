import { html } from 'hono/html';

/** The connected apps page (`/account`, issue #15 item 2, AT-14). */
export const accountMessages = {
  title: 'Connected apps',
  heading: 'Your connected apps',
  signedInAs: (username: string) => html`Signed in as <strong>${username}</strong>.`,
  intro:
    'These applications can use your account. Each line is one installation: the same application on another device or address is listed on its own line. Revoking one cuts that installation off at once; the others keep working.',
  none: 'No application is connected to your account.',
  /** The verified part of the identity: the client's host, or its client_id when it has none. */
  from: (host: string) => html`<strong>${host}</strong>`,
  clientIdLabel: 'client_id',
  claimedName: (name: string) =>
    html`Calls itself “${name}” <span class="label">(its own claim, not verified)</span>`,
  installationLabel: 'Installation (answers go to)',
  tierLabel: 'Trust',
  scopesLabel: 'Allowed to',
  resourcesLabel: 'At',
  connectedLabel: 'Connected',
  lastUsedLabel: 'Last signed in',
  never: 'not since connecting',
  sessions: (count: number) => (count === 1 ? '1 active session' : `${count} active sessions`),
  revoke: 'Revoke',
  /** The accessible name of a Revoke button: which installation it revokes. */
  revokeLabel: (label: string, installation: string) => `Revoke ${label} at ${installation}`,
  revoked:
    'The application was disconnected from your account. It has to ask you again before it can use it.',
  /** A time on the page: UTC, to the minute (the same for everyone reading it). */
  time: (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  signInHeading: (serviceName: string) => `Sign in to ${serviceName}`,
  signInPurpose: 'to see and manage the applications connected to your account',
  signOutHint:
    'Signing out ends this session here and for every application that signs in through this browser; connected apps stay connected.',
  signOut: 'Sign out',
};
