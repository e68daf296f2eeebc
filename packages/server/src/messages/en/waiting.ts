import { html } from 'hono/html';

/** The waiting page: the application awaits the administrator's approval (issue #13). */
export const waitingMessages = {
  title: 'Awaiting approval',
  heading: 'This application awaits approval',
  notApproved: (clientLabel: string, serviceName: string) =>
    html`<strong>${clientLabel}</strong> has not been approved by the administrator of ${serviceName} yet, so it cannot be connected to your account.`,
  recorded: (username: string) =>
    html`Your request, as ${username}, has been recorded: the administrator can see that you asked. Once the application is approved, go back to it and connect again.`,
  nothingShared: 'Nothing was shared with the application.',
};
