/**
 * The message catalogue (issue #15 item 4, decision 0041): every word a person reads on the
 * server's pages comes from here, one module per page group, so a translation is one more set of
 * these modules and the pages stay markup. English ships; `messagesFor` answers it for any locale
 * until another is added.
 *
 * A surface registers its module by adding one member to ENGLISH (the admin console's is
 * `console`); a translation must then supply the same members, which the `Messages` type enforces.
 */
import { accountMessages } from './en/account.ts';
import { consentMessages } from './en/consent.ts';
import { consoleMessages } from './en/console.ts';
import { errorMessages } from './en/error.ts';
import { layoutMessages } from './en/layout.ts';
import { loginMessages } from './en/login.ts';
import { scopeMessages } from './en/scopes.ts';
import { tierMessages } from './en/tiers.ts';
import { waitingMessages } from './en/waiting.ts';

const ENGLISH = {
  layout: layoutMessages,
  login: loginMessages,
  consent: consentMessages,
  error: errorMessages,
  waiting: waitingMessages,
  account: accountMessages,
  scopes: scopeMessages,
  tiers: tierMessages,
  console: consoleMessages,
};

/** A complete catalogue: every member English has, in another language. */
export type Messages = typeof ENGLISH;

/** The catalogues by language tag (BCP 47, lowercase primary subtag). */
const CATALOGUES: Readonly<Record<string, Messages>> = { en: ENGLISH };

/** The language every page is written in when no catalogue matches. */
export const DEFAULT_LOCALE = 'en';

/** The catalogue for `locale` (`de-AT` falls back to `de`, then to English). */
export function messagesFor(locale: string = DEFAULT_LOCALE): Messages {
  const primary = locale.toLowerCase().split('-')[0] ?? DEFAULT_LOCALE;
  return CATALOGUES[primary] ?? ENGLISH;
}
