/** Dates in the reader's own language and zone, to the millisecond, from the platform's Intl. */
const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
  timeZoneName: 'short',
});

const timeOnly = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
});

export const formatDateTime = (iso: string): string => dateTime.format(new Date(iso));
export const formatTime = (iso: string): string => timeOnly.format(new Date(iso));

/** JSON for a panel: pretty, and `—` for nothing. */
export function prettyJson(value: unknown): string {
  if (value === undefined || value === null) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** `GET /orders/:id` from a row's request metadata, or '' when written outside a request. */
export function routeOf(metadata: Record<string, unknown> | null): string {
  if (!metadata || typeof metadata.route !== 'string') return '';
  return typeof metadata.method === 'string' ? `${metadata.method} ${metadata.route}` : metadata.route;
}
