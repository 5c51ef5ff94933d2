import { keysetCursor, nextCursor } from './page-cursor';

const page = (...ids: number[]) => ids.map((id) => ({ id }));

describe('nextCursor', () => {
  it('is the last id of a full page', () => {
    expect(nextCursor(page(30, 29, 27), 3)).toBe(27);
  });

  it('is undefined after a short page, an empty page, or a query without a limit', () => {
    expect(nextCursor(page(5, 4), 3)).toBeUndefined();
    expect(nextCursor(page(), 3)).toBeUndefined();
    expect(nextCursor(page(5, 4, 3), undefined)).toBeUndefined();
    expect(nextCursor(page(5, 4, 3), 0)).toBeUndefined();
  });
});

describe('keysetCursor', () => {
  it('passes integers through and leaves an absent cursor absent', () => {
    expect(keysetCursor(42)).toBe(42);
    expect(keysetCursor(0)).toBe(0);
    expect(keysetCursor(undefined)).toBeUndefined();
    expect(keysetCursor(null)).toBeUndefined();
  });

  it('rejects what is not a row id, rather than ignoring it and returning the first page again', () => {
    expect(() => keysetCursor(Number.NaN)).toThrow(/beforeId must be the integer id/);
    expect(() => keysetCursor(1.5)).toThrow(/beforeId must be the integer id/);
    expect(() => keysetCursor('12' as unknown as number)).toThrow(/beforeId must be the integer id/);
  });
});
