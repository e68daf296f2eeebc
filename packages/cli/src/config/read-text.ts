import type { ValueKind } from './schema-walk.ts';

/**
 * A variable's or flag's text read as the kind the schema wants there, the way operators write it:
 * booleans `true/false/1/0/yes/no` (any case), numbers, lists as a JSON array or comma-separated,
 * objects as JSON. Returns the value, or the reason it cannot be read (said with the variable's name).
 */
export function readText(text: string, kind: ValueKind): { value: unknown } | { problem: string } {
  const trimmed = text.trim();
  switch (kind) {
    case 'boolean': {
      if (/^(true|1|yes)$/i.test(trimmed)) return { value: true };
      if (/^(false|0|no)$/i.test(trimmed)) return { value: false };
      return { problem: `expected true or false, got ${JSON.stringify(text)}` };
    }
    case 'number': {
      const number = Number(trimmed);
      return trimmed !== '' && Number.isFinite(number)
        ? { value: number }
        : { problem: `expected a number, got ${JSON.stringify(text)}` };
    }
    case 'list':
      if (trimmed.startsWith('[')) return json(trimmed, 'a JSON array', Array.isArray);
      return { value: trimmed === '' ? [] : trimmed.split(',').map((item) => item.trim()) };
    case 'object':
      return json(
        trimmed,
        'a JSON object',
        (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
      );
    case 'text':
      return { value: text };
  }
}

function json(
  text: string,
  expected: string,
  accepts: (value: unknown) => boolean,
): { value: unknown } | { problem: string } {
  try {
    const value: unknown = JSON.parse(text);
    if (accepts(value)) return { value };
  } catch (error) {
    return { problem: `expected ${expected}: ${(error as Error).message}` };
  }
  return { problem: `expected ${expected}, got ${JSON.stringify(text)}` };
}
