type Defined<T> = { [K in keyof T]?: Exclude<T[K], undefined> };

/**
 * The entries of `values` that are set. A profile spreads an embedder's section over its own
 * defaults with it: `{ tokenFamilySeconds: undefined }` means "not set", and must not erase the
 * profile's value, which the schema's default would then replace (past an AT-10 limit, say).
 */
export function definedOnly<T extends object>(values: T | undefined): Defined<T> {
  return Object.fromEntries(
    Object.entries(values ?? {}).filter(([, value]) => value !== undefined),
  ) as Defined<T>;
}
