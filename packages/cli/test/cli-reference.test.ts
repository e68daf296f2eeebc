/**
 * docs/cli.md and the CLI say the same thing: the page's reference section is regenerated from the
 * definitions table (src/cli-definitions.ts) and must be what the page holds (`npm run docs:cli`
 * rewrites it). `gatehouse --help` is made from the same table.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { COMMANDS, parserOptions } from '../src/cli-definitions.ts';
import { withReference } from '../src/cli-reference.ts';
import { helpText } from '../src/help-text.ts';
import { run } from './support/cli-process.ts';

const PAGE = new URL('../../../docs/cli.md', import.meta.url);

describe('docs/cli.md', () => {
  it('holds the reference generated from the definitions (run `npm run docs:cli` after changing them)', () => {
    const page = readFileSync(PAGE, 'utf8');
    assert.equal(page, withReference(page));
  });

  it("is what the README's CLI section points to, and that section names every command", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## The CLI'), readme.indexOf('## Using it as a library'));
    assert.match(section, /\(docs\/cli\.md\)/);
    for (const command of COMMANDS) {
      const [word, action] = command.name.split(' ');
      assert.match(section, new RegExp(`gatehouse ${word}\\b`), command.name);
      if (action !== undefined) assert.ok(section.includes(action), `${command.name} in the README`);
    }
  });

  it('keeps every command spelling scripts and docs depend on', () => {
    const defined = COMMANDS.map((command) => command.name);
    for (const name of [
      'serve',
      'users add',
      'users list',
      'clients add',
      'clients list',
      'clients remove',
      'clients reap',
      'registration-tokens issue',
      'registration-tokens list',
      'registration-tokens revoke',
      'keys rotate',
      'keys list',
      'migrate',
      'lint',
    ])
      assert.ok(defined.includes(name), `gatehouse ${name} is still defined`);
    for (const command of COMMANDS)
      for (const option of command.options ?? [])
        assert.ok(parserOptions()[option.name], `--${option.name} of ${command.name} is parsed`);
  });
});

describe('gatehouse --help', () => {
  it('prints the help made from the definitions', async () => {
    const result = await run(['--help']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, helpText());
    for (const command of COMMANDS) assert.ok(result.stdout.includes(`  ${command.name}`), command.name);
  });

  it("prints one command's forms and options", async () => {
    const result = await run(['clients', '--help']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /gatehouse clients reap \[options\]/);
    assert.match(result.stdout, /--never-used-seconds <n>/);
    assert.doesNotMatch(result.stdout, /users add/);
    const unknown = await run(['nope', '--help']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command nope/);
  });
});
