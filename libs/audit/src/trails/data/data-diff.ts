import type { AuditValues } from '../../store/audit-entry';
import { encodeJson } from '../../store/json-column';

const NUMERIC_TEXT = /^[+-]?(\d+)(\.\d+)?$/;
const ISO_DATE_TEXT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** `12.50`, `12.5` and 12.5 are one number: pg returns numeric and bigint as strings. */
function canonicalNumber(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? canonicalNumber(String(value)) : undefined;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'string') return undefined;
  const match = NUMERIC_TEXT.exec(value.trim());
  if (!match) return undefined;
  const sign = value.trim().startsWith('-') ? '-' : '';
  const whole = match[1].replace(/^0+(?=\d)/, '');
  const fraction = (match[2] ?? '').replace(/\.?0+$/, '');
  const text = `${whole}${fraction}`;
  return text === '0' ? '0' : `${sign}${text}`;
}

function instant(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string' && ISO_DATE_TEXT.test(value)) {
    const time = Date.parse(
      value.includes('T') || /Z|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`,
    );
    return Number.isNaN(time) ? undefined : time;
  }
  return undefined;
}

/** MariaDB and SQLite keep booleans as 0/1. */
function truth(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === '0') return false;
  if (value === 1 || value === '1') return true;
  return undefined;
}

function parsedJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (!(text.startsWith('{') || text.startsWith('['))) return value;
  try {
    return JSON.parse(text);
  } catch {
    return value;
  }
}

/**
 * JSON values compare as their canonical text (keys sorted, dates as JSON writes them): the encoder
 * walks without recursion, so a document nested 10,000 levels deep compares like any other instead
 * of overflowing the stack and failing the business write it audits. A value that has no JSON text
 * (a circular object) counts as changed.
 */
function sameJson(a: unknown, b: unknown): boolean {
  try {
    return encodeJson(a, { sortKeys: true }) === encodeJson(b, { sortKeys: true });
  } catch {
    return false;
  }
}

/**
 * Values compare by value (docs/behaviour.md, "Rules applied to every data row"): dates by instant, JSON deeply, numbers that a driver returns as
 * strings equal to the same number, 0/1 equal to false/true, null equal to undefined.
 */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (a instanceof Date || b instanceof Date) {
    const left = instant(a);
    return left !== undefined && left === instant(b);
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    const left = truth(a);
    return left !== undefined && left === truth(b);
  }
  if (typeof a === 'object' || typeof b === 'object') return sameJson(parsedJson(a), parsedJson(b));
  const leftNumber = canonicalNumber(a);
  if (leftNumber !== undefined && typeof a !== typeof b) return leftNumber === canonicalNumber(b);
  if (typeof a === 'number' && typeof b === 'number') return false;
  const leftInstant = instant(a);
  return leftInstant !== undefined && leftInstant === instant(b);
}

export interface ValuesChange {
  oldValues: AuditValues | null;
  newValues: AuditValues | null;
}

/**
 * The changed fields of an update. With `partial`, a key missing from `after` was not written and so
 * did not change (TypeORM's `save({ id, status })`). Without it, a key on one side only (a column
 * added or dropped) appears on that side only. An unchanged set comes back as nulls, never `{}`.
 */
export function diffValues(before: AuditValues | null, after: AuditValues | null, partial = false): ValuesChange {
  const oldValues: AuditValues = {};
  const newValues: AuditValues = {};
  const previous = before ?? {};
  const next = after ?? {};
  for (const key of Object.keys(next)) {
    const value = next[key];
    if (value === undefined) continue;
    if (!(key in previous)) {
      newValues[key] = value;
    } else if (!valuesEqual(previous[key], value)) {
      oldValues[key] = previous[key];
      newValues[key] = value;
    }
  }
  if (!partial) {
    for (const key of Object.keys(previous)) {
      if (!(key in next) && previous[key] !== undefined) oldValues[key] = previous[key];
    }
  }
  return { oldValues: orNull(oldValues), newValues: orNull(newValues) };
}

/** Drops excluded keys: exact, case-sensitive, top level, dropped rather than masked (docs/behaviour.md). */
export function withoutFields(
  values: AuditValues | null | undefined,
  excluded: ReadonlySet<string>,
): AuditValues | null {
  if (!values) return null;
  if (excluded.size === 0) return orNull({ ...values });
  const kept: AuditValues = {};
  for (const [key, value] of Object.entries(values)) if (!excluded.has(key)) kept[key] = value;
  return orNull(kept);
}

export function orNull(values: AuditValues): AuditValues | null {
  return Object.keys(values).length === 0 ? null : values;
}
