/**
 * Converting between ISO instants (what links and the JSON API carry) and the value of an
 * `<input type="datetime-local">` (the browser's local time, to the millisecond).
 */
const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** `2025-01-31T10:15:00.250` in the local zone for an ISO instant; '' for an unreadable one. */
export function localInputFromIso(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return (
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
  );
}

/** The ISO instant (UTC, `Z`) of a datetime-local value read in the local zone; undefined when empty or unreadable. */
export function isoFromLocalInput(value: string): string | undefined {
  const match = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,3}))?)?$/.exec(value.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second = '0', fraction = '0'] = match;
  const date = new Date(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    Number(fraction.padEnd(3, '0')),
  );
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
