/**
 * `created_at` as an instant, whichever program wrote the row. The shared tables are written by this
 * module and by go-audit, and on SQLite (a TEXT column) each writer has its own text form:
 *
 *   2026-04-13 09:01:00.123              this module (UTC, milliseconds), SQLite's own CURRENT_TIMESTAMP
 *   2026-04-13 09:01:00+00:00            go-audit through mattn/go-sqlite3 (fraction when non-zero)
 *   2026-04-13 09:01:00 +0000 UTC        go-audit through modernc.org/sqlite (Go's time.String())
 *   2026-04-13T09:01:00.123Z             ISO 8601, as other tools write it
 *
 * Compared as text these do not order (`' '` sorts before `'.'` and `'+'`), so SQLite compares and
 * orders by {@link sqliteInstant}, which turns each form into the first one.
 */

/** The earliest and latest instants every dialect stores and compares (MySQL DATETIME and SQLite's date functions stop at year 9999). */
export const EARLIEST_INSTANT = new Date('0001-01-01T00:00:00.000Z');
export const LATEST_INSTANT = new Date('9999-12-31T23:59:59.999Z');

export type TimeOperator = '>=' | '<=' | '<' | '>';

/**
 * A time condition whose bound the database can represent, meaning the same thing for every row a
 * trail can hold: a bound past year 9999 (`new Date(8.64e15)`) or before year 1 would otherwise reach
 * the database as text such as `+275760-09-13` and compare as text, or be refused.
 */
export function representableBound(operator: TimeOperator, bound: Date): { operator: TimeOperator; bound: Date } {
  const time = bound.getTime();
  if (time > LATEST_INSTANT.getTime()) {
    // Every stored row is at or before LATEST_INSTANT, so it is below (or not above) the bound.
    return operator === '<' || operator === '<='
      ? { operator: '<=', bound: LATEST_INSTANT }
      : { operator: '>', bound: LATEST_INSTANT };
  }
  if (time < EARLIEST_INSTANT.getTime()) {
    return operator === '>' || operator === '>='
      ? { operator: '>=', bound: EARLIEST_INSTANT }
      : { operator: '<', bound: EARLIEST_INSTANT };
  }
  return { operator, bound };
}

/** `2026-04-18 14:23:18.123`, UTC: what MySQL DATETIME(3) and this module's SQLite rows hold. */
export function utcText(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

// date, time, optional fraction, optional zone: `Z`, `+07:00`, `+0700`, ` +0000 UTC`, ` -05:30`.
const INSTANT_TEXT =
  /^([+-]?\d{4,6})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?)?\s*(Z|[+-]\d\d:?\d\d)?(?:\s|$)/i;

/**
 * Reads a `created_at` value as an instant: a Date from the driver, or text in any of the forms
 * above. Text without a zone is UTC (the module and SQLite write UTC). Fractions finer than a
 * millisecond are cut, as SQLite's strftime('%f') cuts them, so reads and comparisons agree.
 */
export function parseInstant(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  const text = String(value ?? '').trim();
  const match = INSTANT_TEXT.exec(text);
  if (!match) return new Date(text);
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone] = match;
  const date = new Date(0);
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second), Number(fraction.slice(0, 3).padEnd(3, '0')));
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
    date.setTime(date.getTime() - sign * offsetMinutes * 60_000);
  }
  return date;
}

/**
 * A SQLite expression giving `column` as `YYYY-MM-DD HH:MM:SS.SSS` in UTC whatever form it was
 * written in, or NULL for text SQLite cannot read as a date (years past 9999). SQLite reads
 * `+00:00` and `Z` itself; Go's ` +0000 UTC` is rewritten to `+00:00` first. Only built-in
 * deterministic functions, so the expression can carry an index.
 */
export function sqliteInstant(column: string): string {
  const rest = `substr(${column}, 20)`;
  const space = `instr(${rest}, ' ')`;
  const goTimeString =
    `substr(${column}, 1, 19) || substr(${rest}, 1, ${space} - 1) || ` +
    `substr(${rest}, ${space} + 1, 3) || ':' || substr(${rest}, ${space} + 4, 2)`;
  return (
    `strftime('%Y-%m-%d %H:%M:%f', CASE WHEN ${rest} GLOB '* [+-][0-9][0-9][0-9][0-9]*' ` +
    `THEN ${goTimeString} ELSE ${column} END)`
  );
}
