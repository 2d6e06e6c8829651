/** A DefElem's value, as libpg-query gives it: absent, a String, an Integer (ival left out when 0) or a Boolean. */
export interface OptionValue {
  String?: { sval?: string };
  Integer?: { ival?: number };
  Boolean?: { boolval?: boolean };
}

/**
 * Whether a boolean option (`VACUUM (FULL false)`, `REINDEX (CONCURRENTLY off)`, `EXPLAIN (ANALYZE 0)`) is on,
 * read as PostgreSQL's defGetBoolean does: no value means on; true/on/1 on; false/off/0 off, case-insensitive.
 * Any other value makes PostgreSQL refuse the statement; it counts as on here, so a check errs toward the
 * stronger lock.
 */
export function optionIsOn(value: OptionValue | null | undefined): boolean {
  if (value === undefined || value === null) return true;
  if (value.Boolean) return value.Boolean.boolval === true;
  if (value.Integer) return (value.Integer.ival ?? 0) !== 0;
  const text = value.String?.sval?.toLowerCase();
  return text !== 'false' && text !== 'off';
}
