/**
 * JSON text for a JSON column. BigInt has no JSON form and would throw inside JSON.stringify, so it is
 * written as its decimal string; anything that still cannot be encoded becomes a marker rather than
 * losing the whole audit row.
 */
export function toJsonColumn(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  try {
    const text = JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));
    return text === undefined ? null : withoutNul(text);
  } catch (error) {
    return JSON.stringify({ _unencodable: true, error: (error as Error).message });
  }
}

/** SPEC.md: an empty set of values is stored as SQL NULL, never as `{}`. */
export function toValuesColumn(values: Record<string, unknown> | null | undefined): string | null {
  if (!values || Object.keys(values).length === 0) return null;
  return toJsonColumn(values);
}

export function fromJsonColumn<T = unknown>(text: unknown): T | null {
  if (text === null || text === undefined) return null;
  if (typeof text !== 'string') return text as T;
  return JSON.parse(text) as T;
}

// PostgreSQL refuses `\u0000` inside JSONB ("cannot be converted to text"), and a third party's body
// may well contain one; it is stored as U+FFFD on every dialect so one row reads the same everywhere.
// Only an escape preceded by an even number of backslashes is a NUL; `\\u0000` is literal text.
const NUL_ESCAPE = /(?<!\\)((?:\\\\)*)\\u0000/g;

function withoutNul(json: string): string {
  return json.includes('\\u0000') ? json.replace(NUL_ESCAPE, '$1\\ufffd') : json;
}
