/**
 * The operator's fields on a client (issue #14): who answers for it (owner), which team, how to
 * reach them (contact), labels to group it by, a note. What an operator types is checked here for
 * every surface (CLI, admin API, console) and refused with `invalid_operator_fields` (docs/errors.md)
 * when it would break a listing: control characters, over-long text, labels that are not words.
 *
 * A change names only what it changes: a member left out keeps its value, `null` clears it, and
 * `labels` replaces the whole set (an empty array clears it).
 */
import { OAuthError } from '@gatehouse-oauth/core';
import type { OperatorFields } from '../store/store.ts';

export interface OperatorFieldsChange {
  owner?: string | null | undefined;
  team?: string | null | undefined;
  contact?: string | null | undefined;
  labels?: readonly string[] | undefined;
  note?: string | null | undefined;
}

const LIMITS = { owner: 200, team: 200, contact: 200, note: 500 } as const;
export const MAX_LABELS = 32;
/** A label is a word an operator filters by: `pci`, `team:payments`, `tier-2`, `eu/prod`. */
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._:=/-]{0,63}$/;

/** The fields after `change`, checked; undefined when no field is left set. */
export function changedFields(
  current: OperatorFields | undefined,
  change: OperatorFieldsChange,
  by: { clientId: string; actor: string; now: number },
): OperatorFields | undefined {
  const next = (name: keyof typeof LIMITS): string | undefined => {
    const value = change[name];
    if (value === undefined) return current?.[name];
    if (value === null) return undefined;
    return checkedText(name, value);
  };
  const labels = change.labels === undefined ? (current?.labels ?? []) : checkedLabels(change.labels);
  const fields = {
    owner: next('owner'),
    team: next('team'),
    contact: next('contact'),
    note: next('note'),
  };
  if (labels.length === 0 && Object.values(fields).every((value) => value === undefined)) return undefined;
  return definedOnly({ clientId: by.clientId, ...fields, labels, updatedBy: by.actor, updatedAt: by.now });
}

/** Whether two sets of fields say the same (who wrote them and when aside). */
export function sameFields(a: OperatorFields | undefined, b: OperatorFields | undefined): boolean {
  const said = (fields: OperatorFields | undefined) =>
    fields === undefined
      ? undefined
      : JSON.stringify([fields.owner, fields.team, fields.contact, fields.labels, fields.note]);
  return said(a) === said(b);
}

function checkedText(name: keyof typeof LIMITS, value: string): string {
  const limit = LIMITS[name];
  if (value.length === 0 || value.length > limit)
    throw invalidFields(`${name} must be 1 to ${limit} characters (null clears it)`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalidFields(`${name} must not contain control characters`);
  return value;
}

function checkedLabels(labels: readonly string[]): string[] {
  if (labels.length > MAX_LABELS) throw invalidFields(`at most ${MAX_LABELS} labels`);
  for (const label of labels) {
    if (!LABEL.test(label))
      throw invalidFields(
        `label '${label.slice(0, 70)}' must be 1 to 64 letters, digits and . _ : = / - (starting with a letter or digit)`,
      );
  }
  return [...new Set(labels)];
}

function invalidFields(description: string): OAuthError {
  return new OAuthError('invalid_request', { reason: 'invalid_operator_fields', description });
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}
