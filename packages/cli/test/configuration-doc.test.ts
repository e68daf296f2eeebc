/**
 * docs/configuration.md and the schema say the same thing: every key an operator can write is in
 * the doc's tables and nothing else is, each with the schema's default (first in its cell; what
 * follows explains it or gives a profile's value) and exactly the schema's range.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { documentedSettings, schemaSettings } from './support/setting-table.ts';

const doc = documentedSettings(
  readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8'),
);
const schema = schemaSettings();

describe('docs/configuration.md', () => {
  it('documents every setting of the schema, and no other', () => {
    assert.deepEqual([...doc.keys()].sort(), [...schema.keys()].sort());
  });

  it("gives each setting the schema's default and range", () => {
    for (const [key, expected] of schema) {
      const row = doc.get(key);
      if (row === undefined) continue;
      assert.ok(
        row.default === expected.default ||
          row.default.startsWith(`${expected.default} `) ||
          row.default.startsWith(`${expected.default};`),
        `${key}: the default cell "${row.default}" must start with ${expected.default}`,
      );
      assert.equal(row.range, expected.range, `${key}: range`);
    }
  });
});
