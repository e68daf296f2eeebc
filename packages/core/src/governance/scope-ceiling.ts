/**
 * The scopes a client may be granted (issue #13): the intersection of its trust tier's ceiling, any
 * ceiling the operator set for this one client, and the `scope` its own metadata declares (RFC 7591
 * §2). A document can narrow what the operator allows, never widen it. `undefined` at a level means
 * that level sets no limit.
 */
export function effectiveScopeCeiling(
  ...levels: (readonly string[] | undefined)[]
): ReadonlySet<string> | undefined {
  let ceiling: Set<string> | undefined;
  for (const level of levels) {
    if (level === undefined) continue;
    ceiling = ceiling === undefined ? new Set(level) : new Set(level.filter((scope) => ceiling!.has(scope)));
  }
  return ceiling;
}
