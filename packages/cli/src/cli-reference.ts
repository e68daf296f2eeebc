import { COMMANDS, GENERAL_OPTIONS, type OptionDefinition, SETTING_OPTIONS } from './cli-definitions.ts';
import { EXIT_CODES } from './exit-codes.ts';
import { flag, synopsis } from './help-text.ts';

/**
 * The reference part of docs/cli.md, made from the definitions table (cli-definitions.ts) and the
 * exit codes: `npm run docs:cli` writes it between the markers, and a test fails when the page and
 * the table differ (packages/cli/test/cli-reference.test.ts).
 */
export const BEGIN_MARKER =
  '<!-- BEGIN generated from packages/cli/src/cli-definitions.ts by `npm run docs:cli`; do not edit by hand -->';
export const END_MARKER = '<!-- END generated -->';

export function referenceSection(): string {
  const withOptions = COMMANDS.filter((command) => (command.options ?? []).length > 0);
  return [
    BEGIN_MARKER,
    '',
    '## Commands',
    '',
    '| command | what it does |',
    '| --- | --- |',
    ...COMMANDS.map((command) => row(code(synopsis(command)), command.description)),
    '',
    '## Options of commands',
    '',
    '| command | option | meaning |',
    '| --- | --- | --- |',
    ...withOptions.flatMap((command) =>
      (command.options ?? []).map((option) => row(code(command.name), code(flag(option)), describe(option))),
    ),
    '',
    ...SETTING_OPTIONS.flatMap((group) => [
      `## ${capitalised(group.title)}`,
      '',
      prose(`Every command takes these; ${group.note}.`),
      '',
      ...optionTable(group.options),
      '',
    ]),
    '## General options',
    '',
    ...optionTable(GENERAL_OPTIONS),
    '',
    '## Exit codes',
    '',
    '| code | meaning |',
    '| --- | --- |',
    ...Object.values(EXIT_CODES).map(({ code: exit, meaning }) => row(String(exit), meaning)),
    '',
    END_MARKER,
  ].join('\n');
}

/** The page with its generated section replaced by the current one. */
export function withReference(page: string): string {
  const begin = page.indexOf(BEGIN_MARKER);
  const end = page.indexOf(END_MARKER);
  if (begin === -1 || end < begin) throw new Error('docs/cli.md has lost its generated-section markers');
  return page.slice(0, begin) + referenceSection() + page.slice(end + END_MARKER.length);
}

function optionTable(options: readonly OptionDefinition[]): string[] {
  return [
    '| option | meaning |',
    '| --- | --- |',
    ...options.map((option) => row(code(flag(option)), describe(option))),
  ];
}

function describe(option: OptionDefinition): string {
  return option.required === true ? `required: ${option.description}` : option.description;
}

function row(...cells: string[]): string {
  return `| ${cells.map((cell) => prose(cell).replaceAll('|', '\\|')).join(' | ')} |`;
}

/** `<port>` outside a code span would be read as an HTML tag: escaped there, kept inside one. */
function prose(text: string): string {
  return text
    .split('`')
    .map((part, index) => (index % 2 === 0 ? part.replaceAll('<', '&lt;') : part))
    .join('`');
}

const code = (text: string) => `\`${text}\``;
const capitalised = (text: string) => text[0]!.toUpperCase() + text.slice(1);
