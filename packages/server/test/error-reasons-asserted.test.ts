/**
 * Issue #12: a test that expects only `invalid_request` passes for the wrong reason. So every stable
 * refusal `reason` that docs/errors.md lists must be asserted by at least one test. Found by regular
 * expressions, not by a parser. What counts, precisely:
 * - a documented reason is a backticked `snake_case` token in the reason column of a table of
 *   docs/errors.md (the column headed `reason`, `answered as` or `fetcher / cache / governor
 *   reason`), a backticked `cimd_…` token in the prose lists of the CIMD section except the
 *   "Warnings (never refusals)" paragraph, or one of PROSE_REASONS below (each must be in the doc);
 * - a reason is asserted when it appears as a quoted literal ('x', "x" or `x`), outside a comment
 *   line, in a test file that observes reasons: any .ts under packages/*\/test or test/ (these two
 *   reason tests excepted) that reads `.reason` (of an OAuthError, an audit event, a finding, a
 *   result) or uses test support's `assertRefusal(`, `lastOutcome(` or `outcomes(` (the reason of
 *   an HTTP refusal, from the request log line) or `assertRefused(` (support/dpop.ts and the core's
 *   support/cimd-documents.ts, which assert the reason). Table rows count: `['name', input, 'x']`.
 * Limits, on purpose: the literal is not tied to the assertion that uses it, so a literal that a
 * file which observes reasons merely mentions (an option value, a fixture) also counts; this test
 * finds reasons no test names, it cannot prove a test checks what it names. Review keeps tables
 * honest, and each test must fail if its refusal stopped. NOT_OBSERVABLE lists the reasons no
 * public surface shows, each with why; the test fails once one of them is asserted after all.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const DOC = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
const SELF = ['error-reasons-asserted.test.ts', 'error-reasons-documented.test.ts'];
/**
 * Documented reasons that nothing a test can reach exposes. Each says why; keep this list short and
 * prefer adding a seam.
 */
const NOT_OBSERVABLE: Record<string, string> = {
  cimd_document_not_json:
    'a Finding.reason of `gatehouse lint` for a file that is not JSON; lint prints the rule ID ' +
    '(CIMD-DOC-8), which packages/cli/test/lint.test.ts asserts, never the reason',
};
/** Reasons the doc names in prose only, outside any table or CIMD list. */
const PROSE_REASONS: readonly string[] = [];
const REASON_COLUMNS = new Set(['reason', 'answered as', 'fetcher / cache / governor reason']);
const TOKEN = /`([a-z][a-z0-9_]*[a-z0-9])`/g;

function cells(line: string): string[] {
  return line
    .split('|')
    .slice(1, -1)
    .map((cell) => cell.trim());
}

/** The reasons docs/errors.md lists, by the rules in the header. */
function documentedReasons(): Set<string> {
  const reasons = new Set<string>();
  const lines = DOC.split('\n');
  let columns: number[] = [];
  let inCimdSection = false;
  let inWarnings = false;
  for (const [index, line] of lines.entries()) {
    if (line.startsWith('## ')) inCimdSection = line.startsWith('## Client ID Metadata Documents');
    if (line.trim() === '') inWarnings = false;
    if (line.startsWith('Warnings (never refusals)')) inWarnings = true;
    if (line.startsWith('|')) {
      // A header row is the one above the `| --- |` separator.
      if (/^\|\s*-/.test(lines[index + 1] ?? '')) {
        columns = cells(line).flatMap((header, column) => (REASON_COLUMNS.has(header) ? [column] : []));
        continue;
      }
      for (const column of columns) {
        for (const match of (cells(line)[column] ?? '').matchAll(TOKEN)) reasons.add(match[1]!);
      }
      continue;
    }
    columns = [];
    if (inCimdSection && !inWarnings) {
      for (const match of line.matchAll(TOKEN)) if (match[1]!.startsWith('cimd_')) reasons.add(match[1]!);
    }
  }
  for (const reason of PROSE_REASONS) {
    assert.ok(DOC.includes(`\`${reason}\``), `${reason} is no longer in docs/errors.md; update this test`);
    reasons.add(reason);
  }
  return reasons;
}

function testFiles(): { path: string; text: string }[] {
  const dirs = [
    ...readdirSync(join(ROOT, 'packages')).map((pkg) => join(ROOT, 'packages', pkg, 'test')),
    join(ROOT, 'test'),
  ];
  return dirs.flatMap((dir) => {
    let entries: string[];
    try {
      entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
    } catch {
      return []; // a package without tests
    }
    return entries
      .filter((entry) => entry.endsWith('.ts') && !SELF.some((self) => entry.endsWith(self)))
      .map((entry) => ({ path: join(dir, entry), text: readFileSync(join(dir, entry), 'utf8') }));
  });
}

/** Quoted literals on the lines of test files that assert, name a reason or a refusal. */
function assertedLiterals(): Set<string> {
  const literals = new Set<string>();
  for (const { text } of testFiles()) {
    if (!/\.reason\b|\bassertRefusal\(|\bassertRefused\(|\blastOutcome\(|\boutcomes\(/.test(text)) continue;
    for (const line of text.split('\n')) {
      if (/^\s*(\/\/|\*|\/\*)/.test(line)) continue;
      for (const match of line.matchAll(/(['"`])([a-z][a-z0-9_]*)\1/g)) literals.add(match[2]!);
    }
  }
  return literals;
}

describe('every documented refusal reason is asserted by a test', () => {
  it('finds each reason of docs/errors.md in an assertion of some test file', () => {
    const documented = documentedReasons();
    // A parse that finds nothing passes vacuously; the doc lists well over two hundred reasons.
    assert.ok(documented.size > 200, `only ${documented.size} reasons parsed: is the doc parser broken?`);
    for (const sample of ['pkce_missing', 'cimd_url_scheme', 'cimd_tls', 'tls', 'statement_alg']) {
      assert.ok(documented.has(sample), `${sample} not parsed from docs/errors.md: is the parser broken?`);
    }
    const asserted = assertedLiterals();
    const missing = [...documented]
      .filter((reason) => !asserted.has(reason) && !(reason in NOT_OBSERVABLE))
      .sort();
    assert.deepEqual(
      missing,
      [],
      `${missing.length} of ${documented.size} reasons are asserted by no test: assert the error code and the reason`,
    );
  });

  it('exempts only documented reasons that really are asserted nowhere', () => {
    const documented = documentedReasons();
    const asserted = assertedLiterals();
    for (const reason of Object.keys(NOT_OBSERVABLE)) {
      assert.ok(documented.has(reason), `${reason} is no longer documented: drop its exemption`);
      assert.ok(!asserted.has(reason), `${reason} is asserted now: drop its exemption`);
    }
  });
});
