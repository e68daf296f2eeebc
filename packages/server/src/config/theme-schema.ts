import { z } from 'zod';

/**
 * The look of the pages people see (issue #15 item 4, decision 0041): the service's name is
 * `serviceName`; these add its colour and logo. The logo is a file the server reads once at start
 * and serves itself at `<issuer>/theme/logo`, so pages load nothing from anywhere else and the
 * Content-Security-Policy stays `img-src 'self'`.
 */
export const themeSchema = z.strictObject({
  primaryColor: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour written #rrggbb')
    .default('#1f4fd8')
    .describe('buttons and accents on the pages, #rrggbb; white text goes on it, so pick a dark one'),
  logoFile: z
    .string()
    .min(1)
    .optional()
    .describe('a PNG, JPEG, WebP or SVG file (at most 256 KiB) read at start and shown on every page'),
});

export type ThemeOptions = z.input<typeof themeSchema>;
