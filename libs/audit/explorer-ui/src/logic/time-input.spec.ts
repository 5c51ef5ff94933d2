import { isoFromLocalInput, localInputFromIso } from './time-input';

/** The wall-clock text of an instant in this process's zone, worked out from the zone offset alone. */
function wallClock(iso: string): string {
  const date = new Date(iso);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 23);
}

describe('explorer time inputs (in the zone the tests run in)', () => {
  it.each(['2025-03-04T05:06:07.089Z', '2025-07-01T23:59:59.999Z', '1999-12-31T00:00:00.000Z'])(
    'shows %s as local wall-clock time and reads it back to the same instant',
    (iso) => {
      expect(localInputFromIso(iso)).toBe(wallClock(iso));
      expect(isoFromLocalInput(localInputFromIso(iso))).toBe(iso);
    },
  );

  it('reads the shorter forms a browser may give, and refuses the rest', () => {
    const base = localInputFromIso('2025-01-02T03:04:05.500Z').slice(0, 16);
    expect(isoFromLocalInput(base)?.slice(0, 16)).toBe('2025-01-02T03:04');
    expect(isoFromLocalInput(`${base}:05`)).toBe('2025-01-02T03:04:05.000Z');
    expect(isoFromLocalInput(`${base}:05.5`)).toBe('2025-01-02T03:04:05.500Z');
    expect(isoFromLocalInput('')).toBeUndefined();
    expect(isoFromLocalInput('yesterday')).toBeUndefined();
    expect(localInputFromIso('not a date')).toBe('');
    expect(localInputFromIso(undefined)).toBe('');
  });
});
