import type { z } from 'zod';

/** One thing wrong with a configuration: where, and what, in words an operator can act on. */
export interface ConfigurationProblem {
  /** The key path as written in the options, e.g. ['lifetimes', 'accessTokenSeconds']. */
  path: readonly PropertyKey[];
  /** Without the path: `must be at least 30`, `unknown setting`. */
  message: string;
}

/**
 * Options the schema refuses. The message has one line per problem, each starting with the key
 * path (`lifetimes.accessTokenSeconds: must be at least 30`), so it reads without a stack trace;
 * `problems` lets a caller (the CLI) say them in its own names.
 */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
  readonly problems: readonly ConfigurationProblem[];
  constructor(problems: readonly ConfigurationProblem[]) {
    super(
      problems.map((problem) => `${pathText(problem.path) || '(options)'}: ${problem.message}`).join('\n'),
    );
    this.problems = problems;
  }
}

export function pathText(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** zod's issues as problems; an unknown key is one problem at its own path. */
export function problemsOf(error: z.ZodError): ConfigurationProblem[] {
  return error.issues.flatMap((issue): ConfigurationProblem[] =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: [...issue.path, key], message: 'unknown setting' }))
      : [{ path: issue.path, message: describeIssue(issue) }],
  );
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      if (issue.minimum === 1 && (issue.origin === 'string' || issue.origin === 'array'))
        return 'must not be empty';
      return `must be at least ${issue.minimum}${unitOf(issue.origin)}`;
    case 'too_big':
      return `must be at most ${issue.maximum}${unitOf(issue.origin)}`;
    case 'invalid_type':
      return issue.input === undefined
        ? 'is required'
        : `expected ${issue.expected}, got ${typeName(issue.input)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'url' ? 'must be a URL' : `must be a valid ${issue.format}`;
    default:
      return issue.message;
  }
}

function unitOf(origin: string): string {
  if (origin === 'string') return ' characters';
  if (origin === 'array' || origin === 'set') return ' entries';
  return '';
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
