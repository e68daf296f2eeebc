/**
 * docs/requirements.md lists exactly the requirement IDs the repository cites, each with its source
 * section, so a reader never needs a file outside the repository. Over the tracked files (git
 * ls-files; docs/requirements.md and this file excluded) it checks that:
 * - every cited ID has a row in docs/requirements.md, and every row is cited somewhere;
 * - a family wildcard (`FAMILY-*`) names a family that has rows;
 * - every "checklist item N" cited is one of the numbered items in docs/requirements.md;
 * - no doc (docs/**, any README.md) points at files outside the repository.
 *
 * IDs are found by regular expression. Shorthand after a full ID is expanded: `X-3/4`, `X-5/-6`,
 * `X-5, -6`, `X-5, 6)`, `X-1…9`, `X-1 … -5`, `X-1..3` and `X-1…X-13`. A row of the list is a table
 * line starting with a backticked ID: `| \`ID\` | level | requirement | source |`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '..');
const LIST_PATH = 'docs/requirements.md';
const SELF = 'test/requirements-listed.test.ts';

/** Families: CIMD-<PART>-n and DCR-<PART>-n, MCP-n and AT-n, and the named MCP extensions. */
const NUMBERED = /\b((?:CIMD|DCR)-[A-Z]+|MCP|AT)-(\d+)\b/g;
const NAMED = /\bMCP-EXT-[A-Z]+\b/g;
const WILDCARD = /\b((?:CIMD|DCR)-[A-Z]+|MCP|AT)-\*/g;
/** What may follow a numbered ID to cite more of its family: a separator, then `-n`, `FAMILY-n` or `n`. */
const MORE = /^\s*(\/|,|…|\.\.\.?|–)\s*(-|[A-Z]+(?:-[A-Z]+)?-)?(\d+)\b/;
const CHECKLIST_ITEM = /\bchecklist items? (\d+)\b/gi;
const OUTSIDE = /shared\/|SPEC-CHECKLIST|DESIGN\.md/;

interface Citation {
  id: string;
  where: string;
}

function trackedTextFiles(): { path: string; text: string }[] {
  const paths = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((path) => path && path !== LIST_PATH && path !== SELF && path !== 'package-lock.json')
    .filter((path) => !path.split('/').includes('node_modules'));
  const files: { path: string; text: string }[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(join(ROOT, path), 'utf8');
    } catch {
      continue; // deleted in the work tree but still in the index
    }
    if (text.includes('\0')) continue; // binary
    files.push({ path, text });
  }
  return files;
}

/** Every requirement ID a text cites, shorthand expanded. */
function citedIds(text: string): string[] {
  const ids: string[] = [];
  for (const match of text.matchAll(NUMBERED)) {
    const family = match[1]!;
    let last = Number(match[2]);
    ids.push(`${family}-${last}`);
    let rest = text.slice(match.index + match[0].length);
    for (let more = MORE.exec(rest); more; more = MORE.exec(rest)) {
      const [whole, separator, prefix, digits] = more;
      if (prefix && prefix !== '-' && prefix !== `${family}-`) break; // another family: matched on its own
      // `X-5, 6)` is a citation; `AT-10, 15 minutes` is not.
      if (separator === ',' && !prefix && !/^\s*\)/.test(rest.slice(whole.length))) break;
      const next = Number(digits);
      const range = separator !== '/' && separator !== ',';
      for (let n = range ? last + 1 : next; n <= next; n++) ids.push(`${family}-${n}`);
      last = next;
      rest = rest.slice(whole.length);
    }
  }
  for (const match of text.matchAll(NAMED)) ids.push(match[0]);
  return [...new Set(ids)];
}

function listedRows(list: string): string[] {
  return [...list.matchAll(/^\|\s*`([A-Z][A-Z0-9-]*)`\s*\|/gm)].map((match) => match[1]!);
}

function listedChecklistItems(list: string): Set<number> {
  const section = list.split(/^## /m).find((part) => part.startsWith('Checklist items')) ?? '';
  return new Set([...section.matchAll(/^(\d+)\. /gm)].map((match) => Number(match[1])));
}

describe('requirement IDs are listed in docs/requirements.md', () => {
  const files = trackedTextFiles();
  const list = readFileSync(join(ROOT, LIST_PATH), 'utf8');
  const rows = listedRows(list);
  const listed = new Set(rows);
  const citations: Citation[] = [];
  for (const { path, text } of files) {
    for (const [index, line] of text.split('\n').entries()) {
      for (const id of citedIds(line)) citations.push({ id, where: `${path}:${index + 1}` });
    }
  }

  it('the shorthand parser expands what the repository writes', () => {
    assert.deepEqual(citedIds('CIMD-CACHE-3/4, DCR-MD-2…4 and CIMD-FETCH-5/-6'), [
      'CIMD-CACHE-3',
      'CIMD-CACHE-4',
      'DCR-MD-2',
      'DCR-MD-3',
      'DCR-MD-4',
      'CIMD-FETCH-5',
      'CIMD-FETCH-6',
    ]);
    assert.deepEqual(citedIds('(CIMD-CACHE-1 … -3, -7, CIMD-FETCH-3)'), [
      'CIMD-CACHE-1',
      'CIMD-CACHE-2',
      'CIMD-CACHE-3',
      'CIMD-CACHE-7',
      'CIMD-FETCH-3',
    ]);
    assert.deepEqual(citedIds('AT-1…AT-3, CIMD-AUTH-1..2, (CIMD-FETCH-5, 6)'), [
      'AT-1',
      'AT-2',
      'AT-3',
      'CIMD-AUTH-1',
      'CIMD-AUTH-2',
      'CIMD-FETCH-5',
      'CIMD-FETCH-6',
    ]);
    assert.deepEqual(citedIds('AT-10, 15 minutes; MCP-EXT-CC; CIMD-FETCH alone; GH-URL-1'), [
      'AT-10',
      'MCP-EXT-CC',
    ]);
  });

  it('lists each ID once', () => {
    const twice = rows.filter((id, index) => rows.indexOf(id) !== index);
    assert.deepEqual(twice, [], `listed more than once in ${LIST_PATH}`);
  });

  it('lists every ID the repository cites', () => {
    const missing = new Map<string, string[]>();
    for (const { id, where } of citations) {
      if (!listed.has(id)) missing.set(id, [...(missing.get(id) ?? []), where]);
    }
    const report = [...missing].map(([id, where]) => {
      const more = where.length > 3 ? `, and ${where.length - 3} more` : '';
      return `${id}  (${where.slice(0, 3).join(', ')}${more})`;
    });
    assert.deepEqual(report, [], `cited but not listed in ${LIST_PATH}; add a row, or fix the citation`);
  });

  it('lists no ID that nobody cites', () => {
    const cited = new Set(citations.map(({ id }) => id));
    const unused = rows.filter((id) => !cited.has(id));
    assert.deepEqual(unused, [], `listed in ${LIST_PATH} but cited nowhere; remove the row`);
  });

  it('has rows for every family cited with a wildcard', () => {
    const unknown: string[] = [];
    for (const { path, text } of files) {
      for (const match of text.matchAll(WILDCARD)) {
        if (!rows.some((id) => id.startsWith(`${match[1]}-`))) unknown.push(`${match[0]}  (${path})`);
      }
    }
    assert.deepEqual(unknown, [], `a family with no row in ${LIST_PATH}`);
  });

  it('lists every checklist item the repository cites', () => {
    const items = listedChecklistItems(list);
    assert.ok(items.size > 0, `${LIST_PATH} has no "Checklist items" section`);
    const missing: string[] = [];
    for (const { path, text } of files) {
      for (const match of text.matchAll(CHECKLIST_ITEM)) {
        if (!items.has(Number(match[1]))) missing.push(`${match[0]}  (${path})`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('no doc points at a file outside the repository', () => {
    const docs = files.filter(({ path }) => path.startsWith('docs/') || /(^|\/)README\.md$/.test(path));
    docs.push({ path: LIST_PATH, text: list });
    const outside: string[] = [];
    for (const { path, text } of docs) {
      for (const [index, line] of text.split('\n').entries()) {
        if (OUTSIDE.test(line)) outside.push(`${path}:${index + 1}: ${line.trim()}`);
      }
    }
    assert.deepEqual(outside, [], `refer to ${LIST_PATH} or a doc in docs/ instead`);
  });
});
