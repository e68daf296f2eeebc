import type { TrustTier } from '@gatehouse-oauth/core';

/**
 * A client's trust tier (issue #13, `governance.tiers`) in words: its name as docs/governance.md
 * spells it, and what it means for the person deciding.
 */
export const tierMessages: Readonly<Record<TrustTier, { name: string; statement: string }>> = {
  trusted: {
    name: 'trusted',
    statement: "This application was registered or approved by this server's administrator.",
  },
  'verified-domain': {
    name: 'verified domain',
    statement:
      'This application is identified by its web address, which this server checked; what it says about itself is its own claim.',
  },
  'self-asserted': {
    name: 'self-asserted',
    statement:
      'This application registered itself with this server; nothing it says about itself has been checked.',
  },
  local: {
    name: 'local application',
    statement: 'This application runs on your own device; any program there could be asking.',
  },
};
