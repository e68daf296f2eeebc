/**
 * docs/audit-events.md lists exactly the audit event types the code writes (issue #14, item 6):
 * every type audited in packages/*\/src has a row (its first cell the type, in backticks) saying
 * when it is written and what it holds, and every row is a type the code still writes. Found by
 * regular expressions over the source, like the reason tests (error-reasons-documented.test.ts).
 * What counts as audited, precisely:
 * - the dotted literals right after `type:`: `type: 'a.b'`, `type: cond ? 'a.b' : 'c.d'` and a
 *   union `type: 'a.b' | 'c.d'` (an audit type is always dotted: `area.event`);
 * - `helper('a.b', …)` where `helper` is a function or arrow of this repo whose FIRST parameter is
 *   declared `type: string` (`audited` in the governance service, `audit` in `gatehouse users`);
 * - types built at run time are expanded below (TEMPLATES), each checked to still be built so.
 * Keep audit types as single-quoted literals in one of those places.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageSources, ROOT, type Source } from './support/package-sources.ts';

const DOC = readFileSync(join(ROOT, 'docs', 'audit-events.md'), 'utf8');

const TYPE = `[a-z][a-z0-9_]*\\.[a-z0-9_.]*[a-z0-9_]`;

/** Types built at run time: where, the template as written, and what it builds. */
// None today: `gatehouse users disable|enable` audit through users/user-admin.ts, with literals.
const TEMPLATES: { path: string; template: string; types: string[] }[] = [];

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** The types the code audits, each with one place it does. */
function auditedTypes(files: readonly Source[]): Map<string, string> {
  const types = new Map<string, string>();
  const note = (type: string, path: string, text: string, index: number) => {
    if (!types.has(type)) types.set(type, `${path}:${lineOf(text, index)}`);
  };
  // `type:` then a literal, a condition's two literals, or a union of literals.
  const field = new RegExp(`\\btype:\\s*((?:[\\w.]+\\s*\\?\\s*)?'${TYPE}'(?:\\s*[:|]\\s*'${TYPE}')*)`, 'g');
  const helpers = new Set<string>();
  for (const { text } of files) {
    for (const pattern of [
      /\bfunction\s+([A-Za-z_$][\w$]*)\s*\(\s*type:\s*string\b/g,
      /\b(?:const|let)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?\(\s*type:\s*string\b/g,
    ])
      for (const match of text.matchAll(pattern)) helpers.add(match[1]!);
  }
  assert.ok(
    helpers.has('audited') && helpers.has('audit'),
    'the type helpers are not found: is the regex broken?',
  );
  const call = new RegExp(`\\b(?:${[...helpers].join('|')})\\(\\s*'(${TYPE})'`, 'g');
  for (const { path, text } of files) {
    for (const match of text.matchAll(field))
      for (const literal of match[1]!.matchAll(new RegExp(`'(${TYPE})'`, 'g')))
        note(literal[1]!, path, text, match.index);
    for (const match of text.matchAll(call)) note(match[1]!, path, text, match.index);
  }
  for (const { path, template, types: built } of TEMPLATES) {
    const file = files.find((source) => source.path === path);
    if (file === undefined || !file.text.includes(template))
      assert.fail(`${template} is gone from ${path}; update TEMPLATES`);
    for (const type of built) note(type, path, file.text, file.text.indexOf(template));
  }
  return types;
}

/** The types with a row of their own: a table line whose first cell is the type in backticks. */
function documentedTypes(): Set<string> {
  const rows = DOC.matchAll(new RegExp(`^\\|\\s*\`(${TYPE})\`\\s*\\|`, 'gm'));
  return new Set([...rows].map((match) => match[1]!));
}

describe('docs/audit-events.md lists every audit event type', () => {
  const files = packageSources();
  const audited = auditedTypes(files);
  const documented = documentedTypes();

  it('has a row for every type the code audits', () => {
    // A scan that finds nothing passes vacuously; there are over fifty types.
    assert.ok(audited.size > 40, `only ${audited.size} audit types found: is the scan broken?`);
    for (const sample of [
      'token.issued',
      'client.refused',
      'governance.would_refuse',
      'governance.client_approved',
      'user.password_set',
      'audit.purged',
    ])
      assert.ok(audited.has(sample), `${sample} not found in the source: is the scan broken?`);
    const missing = [...audited]
      .filter(([type]) => !documented.has(type))
      .map(([type, at]) => `${type} (${at})`);
    assert.deepEqual(
      missing,
      [],
      'add a row for each to docs/audit-events.md: when, client/user/actor, reason, detail',
    );
  });

  it('lists no type the code no longer audits', () => {
    const stale = [...documented].filter((type) => !audited.has(type));
    assert.deepEqual(stale, [], 'remove these rows from docs/audit-events.md, or audit them again');
  });

  it('gives each row its five cells: type, when, who, reason, detail', () => {
    for (const line of DOC.split('\n')) {
      if (!new RegExp(`^\\|\\s*\`${TYPE}\`\\s*\\|`).test(line)) continue;
      const cells = line.split('|').slice(1, -1);
      assert.equal(cells.length, 5, line.slice(0, 80));
      assert.ok(
        cells.every((cell) => cell.trim() !== ''),
        line.slice(0, 80),
      );
    }
  });
});
