// `npm run docs:cli`: rewrites the generated reference section of docs/cli.md from the CLI's
// definitions (packages/cli/src/cli-definitions.ts). A test fails while the two differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { withReference } from '../packages/cli/src/cli-reference.ts';

const page = new URL('../docs/cli.md', import.meta.url);
writeFileSync(page, withReference(readFileSync(page, 'utf8')));
