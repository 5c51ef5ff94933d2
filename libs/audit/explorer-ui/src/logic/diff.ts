/** A trail row's values: column name to value, as the JSON API returns them. */
export type Values = Record<string, unknown>;

export interface DiffLine {
  field: string;
  before: unknown;
  after: unknown;
  /** False for a field that kept its value: shown collapsed. */
  changed: boolean;
  /** The field is absent on that side (no value known), not null. */
  beforeMissing: boolean;
  afterMissing: boolean;
}

/** Deep equality for JSON values, key order ignored. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a as object);
  const keysB = Object.keys(b as object);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

/**
 * The lines of an old → new diff of two flat maps: every field of either side, changed ones first
 * in field order of the row, then the unchanged ones. `before`/`after` may be full states (then
 * unchanged fields show up) or just the changed columns an update row stores.
 */
export function diffLines(before: Values | null, after: Values | null): DiffLine[] {
  const fields = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  const lines = fields.map((field) => {
    const beforeMissing = !before || !(field in before);
    const afterMissing = !after || !(field in after);
    const beforeValue = beforeMissing ? undefined : before[field];
    const afterValue = afterMissing ? undefined : after[field];
    return {
      field,
      before: beforeValue,
      after: afterValue,
      changed: beforeMissing !== afterMissing || !sameValue(beforeValue, afterValue),
      beforeMissing,
      afterMissing,
    };
  });
  return [...lines.filter((line) => line.changed), ...lines.filter((line) => !line.changed)];
}

/** One data-trail row, as much of it as replaying needs. */
export interface ChangeRow {
  id: number;
  action: string;
  oldValues: Values | null;
  newValues: Values | null;
}

/**
 * The entity's full state before and after each change, replaying rows oldest first: a create or
 * restore sets the state, an update merges its new values, a delete clears it. Before the first
 * loaded row only what that row's old values say is known, so a history that does not reach back to
 * the create shows changed fields only.
 */
export function replayStates(
  rowsOldestFirst: readonly ChangeRow[],
): Array<{ before: Values | null; after: Values | null }> {
  let state: Values | null = null;
  let known = false;
  return rowsOldestFirst.map((row) => {
    const before: Values | null = known ? state : row.oldValues;
    let after: Values | null;
    switch (row.action) {
      case 'create':
      case 'restore':
        after = row.newValues ? { ...row.newValues } : null;
        break;
      case 'delete':
        after = null;
        break;
      default:
        after = { ...(before ?? {}), ...(row.newValues ?? {}) };
    }
    state = after;
    known = true;
    return { before: before ? { ...before } : null, after };
  });
}

/** How a value reads in a diff cell. */
export function displayValue(value: unknown, missing = false): string {
  if (missing) return '—';
  if (value === null) return 'null';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
