/**
 * docs/errors.md lists every stable `reason` of an OAuthError refusal, so a new reason cannot land
 * undocumented. The reasons are found by regular expressions over the source of packages/*\/src,
 * not by a TypeScript parser. Limits, on purpose:
 * - literals only: `reason: 'x'` anywhere (which also catches audit and metric reasons; those are
 *   documented too), and `helper('x', …)` where `helper` is a function or arrow of this repo whose
 *   FIRST parameter is declared `reason: string` (e.g. `refuse`, `invalid`, `metadataError`);
 * - reasons built at run time (`cimd_${…}`, `cimd_url_${rule}`, `cimd_${field}_unsupported`) are
 *   not scanned as such; the families the code builds them from (the fetcher's, the document
 *   cache's and the governor's reason types, the redirect-URI reasons, the client ID URL rules)
 *   are expanded explicitly below;
 * - a reason held in a variable, a double-quoted or template literal, or a helper whose reason is
 *   not its first parameter is not seen. Keep reasons as single-quoted literals.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageSources, ROOT, type Source } from './support/package-sources.ts';

const DOC = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');

const REASON = '[a-z][a-z0-9_]*';

function documented(reason: string): boolean {
  return DOC.includes(`\`${reason}\``);
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** `reason: 'x'` literals, with where they are. */
function literalReasons(files: readonly Source[]): Map<string, string> {
  const reasons = new Map<string, string>();
  for (const { path, text } of files) {
    for (const match of text.matchAll(new RegExp(`\\breason:\\s*'(${REASON})'`, 'g'))) {
      reasons.set(match[1]!, `${path}:${lineOf(text, match.index)}`);
    }
  }
  return reasons;
}

/** Names of functions and arrows whose first parameter is `reason: string`. */
function reasonHelpers(files: readonly Source[]): Set<string> {
  const names = new Set<string>();
  const declarations = [
    /\bfunction\s+([A-Za-z_$][\w$]*)\s*\(\s*reason:\s*string\b/g,
    /\b(?:const|let)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?\(\s*reason:\s*string\b/g,
  ];
  for (const { text } of files) {
    for (const pattern of declarations) for (const match of text.matchAll(pattern)) names.add(match[1]!);
  }
  return names;
}

/** `helper('x', …)` for every helper above. */
function helperReasons(files: readonly Source[], helpers: ReadonlySet<string>): Map<string, string> {
  const reasons = new Map<string, string>();
  const call = new RegExp(`\\b(${[...helpers].join('|')})\\(\\s*'(${REASON})'`, 'g');
  for (const { path, text } of files) {
    for (const match of text.matchAll(call)) reasons.set(match[2]!, `${path}:${lineOf(text, match.index)}`);
  }
  return reasons;
}

/** The members of `export type <name> = | 'a' | 'b';` in one file. */
function unionMembers(files: readonly Source[], path: string, typeName: string): string[] {
  const file = files.find((source) => source.path === path);
  assert.ok(file, `${path} is gone; update this test`);
  const start = file.text.indexOf(`export type ${typeName} =`);
  assert.ok(start >= 0, `${typeName} is gone from ${path}; update this test`);
  const body = file.text.slice(start, file.text.indexOf(';', start));
  const members = [...body.matchAll(new RegExp(`\\|\\s*'(${REASON})'`, 'g'))].map((m) => m[1]!);
  assert.ok(members.length > 0, `no members found in ${typeName}`);
  return members;
}

function undocumented(reasons: ReadonlyMap<string, string>): string[] {
  return [...reasons].filter(([reason]) => !documented(reason)).map(([reason, at]) => `${reason} (${at})`);
}

describe('docs/errors.md lists every refusal reason', () => {
  const files = packageSources();

  it('documents every `reason: …` literal in packages/*/src', () => {
    const reasons = literalReasons(files);
    // A scan that finds nothing passes vacuously; there are well over a hundred reasons.
    assert.ok(reasons.size > 80, `only ${reasons.size} reason literals found: is the regex broken?`);
    assert.deepEqual(undocumented(reasons), [], 'add these reasons to docs/errors.md, in backticks');
  });

  it('documents every literal passed to a reason helper (refuse, invalid, metadataError, …)', () => {
    const helpers = reasonHelpers(files);
    for (const expected of ['refuse', 'invalid', 'metadataError', 'invalidToken', 'fail']) {
      assert.ok(helpers.has(expected), `helper ${expected} not found: is the regex broken?`);
    }
    const reasons = helperReasons(files, helpers);
    assert.ok(reasons.size > 80, `only ${reasons.size} helper reasons found: is the regex broken?`);
    assert.deepEqual(undocumented(reasons), [], 'add these reasons to docs/errors.md, in backticks');
  });

  it('documents the CIMD fetch reasons both as counted and as answered (cimd_<reason>)', () => {
    const families = [
      unionMembers(files, 'packages/safe-fetch/src/errors.ts', 'SafeFetchReason'),
      unionMembers(files, 'packages/server/src/cimd/fetch-governor.ts', 'GovernorRefusalReason'),
      unionMembers(files, 'packages/server/src/cimd/document-cache-error.ts', 'DocumentCacheErrorReason'),
    ].flat();
    const missing = [...families, 'fetch_failed'].flatMap((reason) =>
      [reason, `cimd_${reason}`].filter((name) => !documented(name)),
    );
    assert.deepEqual(missing, []);
  });

  it('documents cimd_<redirect-uri reason> and cimd_url_<rule> (built at run time)', () => {
    const redirect = files.find((source) => source.path === 'packages/core/src/redirect-uri.ts');
    const clientIdUrl = files.find((source) => source.path === 'packages/core/src/cimd/client-id-url.ts');
    assert.ok(redirect && clientIdUrl, 'a source file moved; update this test');
    const redirectReasons = [...redirect.text.matchAll(new RegExp(`\\brefuse\\(\\s*'(${REASON})'`, 'g'))].map(
      (m) => `cimd_${m[1]!}`,
    );
    // refuse('CIMD-URL-1', 'scheme', …) in examine(): the id, then the rule.
    const urlRules = [
      ...clientIdUrl.text.matchAll(new RegExp(`\\brefuse\\(\\s*'[A-Z][A-Z0-9-]*',\\s*'(${REASON})'`, 'g')),
    ].map((m) => `cimd_url_${m[1]!}`);
    assert.ok(
      redirectReasons.length >= 5 && urlRules.length >= 10,
      'the scan found too few; update this test',
    );
    assert.deepEqual(
      [...new Set([...redirectReasons, ...urlRules])].filter((reason) => !documented(reason)),
      [],
    );
  });

  it('documents the CIMD grant and response type reasons (cimd_<field>_unsupported / _dropped)', () => {
    const missing = ['grant_types', 'response_types']
      .flatMap((field) => [`cimd_${field}_unsupported`, `cimd_${field}_dropped`])
      .filter((reason) => !documented(reason));
    assert.deepEqual(missing, []);
  });
});
