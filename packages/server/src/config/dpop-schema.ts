import { DPOP_DEFAULT_ALGORITHMS } from '@gatehouse-oauth/core';
import { z } from 'zod';

/** DPoP, RFC 9449 (docs/dpop.md). The atproto profile forces nonces and both requirements on (AT-11). */
export const dpopSchema = z.strictObject({
  nonce: z
    .enum(['required', 'off'])
    .default('required')
    .describe(
      'required: every DPoP proof at PAR and token carries a current server nonce (RFC 9449 §8, AT-11 MUST); off: none is asked for',
    ),
  windowSeconds: z
    .int()
    .min(1)
    .max(300)
    .default(60)
    .describe('a new nonce every this many seconds (AT-11: at least every 5 minutes)'),
  algorithms: z
    .array(z.string().min(1))
    .min(1)
    .readonly()
    // The proof algorithms core verifies by default; checked against the asymmetric ones at start-up.
    .default([...DPOP_DEFAULT_ALGORITHMS])
    .describe('accepted proof alg values, asymmetric only; published as dpop_signing_alg_values_supported'),
  required: z
    .boolean()
    .default(false)
    .describe(
      'refuse token requests without a DPoP proof, for every client (RFC 9449 §5); per client: dpop_bound_access_tokens',
    ),
  requiredAtPar: z
    .boolean()
    .default(false)
    .describe(
      'refuse pushed authorization requests without a DPoP proof, before client authentication (RFC 9449 §10.1 makes it optional; AT-11 requires it)',
    ),
});

export type DpopOptions = z.input<typeof dpopSchema>;
export type DpopConfig = z.output<typeof dpopSchema>;
