import {
  COMMANDS,
  type CommandDefinition,
  commandsOf,
  GENERAL_OPTIONS,
  type OptionDefinition,
  PROGRAM,
  SETTING_OPTIONS,
} from './cli-definitions.ts';
import { EXIT_CODES } from './exit-codes.ts';

/** `gatehouse --help`, made from the definitions table (cli-definitions.ts). */
export function helpText(): string {
  return [
    `${PROGRAM.name}: ${PROGRAM.summary}`,
    '',
    `usage: ${PROGRAM.usage}`,
    '',
    'commands:',
    ...columns(COMMANDS.flatMap((command) => commandRows(command, false))),
    '',
    ...settingSections(),
    'options:',
    ...columns(GENERAL_OPTIONS.map((option) => [`  ${flag(option)}`, option.description])),
    '',
    'exit codes:',
    ...Object.values(EXIT_CODES).map(({ code, meaning }) => `  ${code}  ${meaning}`),
    '',
  ].join('\n');
}

/** `gatehouse <command> --help`: that command's forms and options, and the settings they read. */
export function commandHelpText(word: string): string | undefined {
  const commands = commandsOf(word);
  if (commands.length === 0) return undefined;
  return [
    'usage:',
    ...columns(commands.flatMap((command) => commandRows(command, true))),
    '',
    ...settingSections(),
    `see ${PROGRAM.name} --help for every command, and docs/cli.md`,
    '',
  ].join('\n');
}

/** The command as typed: its arguments, its required options, `[options]` for the rest. */
export function synopsis(command: CommandDefinition): string {
  const options = command.options ?? [];
  return [
    PROGRAM.name,
    command.name,
    ...(command.arguments === undefined ? [] : [command.arguments]),
    ...options.filter((option) => option.required === true).map(flag),
    ...(options.some((option) => option.required !== true) ? ['[options]'] : []),
  ].join(' ');
}

/** `--name <value>`, `-h, --help`. */
export function flag(option: OptionDefinition): string {
  const long = `--${option.name}${option.value === undefined ? '' : ` ${option.value}`}`;
  return option.short === undefined ? long : `-${option.short}, ${long}`;
}

/** The command's line (with the program's name when it stands alone) and its optional options. */
function commandRows(command: CommandDefinition, withProgram: boolean): [string, string][] {
  const optional = (command.options ?? []).filter((option) => option.required !== true);
  const line = withProgram ? synopsis(command) : synopsis(command).slice(PROGRAM.name.length + 1);
  return [
    [`  ${line}`, command.description],
    ...optional.map((option): [string, string] => [`      ${flag(option)}`, option.description]),
  ];
}

function settingSections(): string[] {
  return SETTING_OPTIONS.flatMap((group) => [
    `${group.title} (${group.note}):`,
    ...columns(group.options.map((option) => [`  ${flag(option)}`, option.description])),
    '',
  ]);
}

const WIDEST_LEFT = 36;

/** Two columns; a left cell too wide for the column puts its description on the next line. */
function columns(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.min(WIDEST_LEFT, Math.max(...rows.map(([left]) => left.length))) + 2;
  return rows.flatMap(([left, right]) =>
    left.length + 2 <= width ? [left.padEnd(width) + right] : [left, ' '.repeat(width) + right],
  );
}
