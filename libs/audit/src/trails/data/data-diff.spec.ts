import { diffValues, valuesEqual, withoutFields } from './data-diff';

describe('valuesEqual', () => {
  it.each<[unknown, unknown]>([
    ['12.50', 12.5],
    ['12', 12],
    ['-0.10', -0.1],
    ['9007199254740993', BigInt('9007199254740993')],
    [1, true],
    [0, false],
    ['1', true],
    [null, undefined],
    [new Date('2026-04-18T14:23:18.000Z'), '2026-04-18T14:23:18Z'],
    [new Date('2026-04-18T14:23:18.000Z'), new Date('2026-04-18T14:23:18.000Z')],
    ['2026-04-18 14:23:18', new Date('2026-04-18T14:23:18Z')],
    [
      { a: 1, b: [1, { c: 2 }] },
      { b: [1, { c: 2 }], a: 1 },
    ],
    ['{"a":1}', { a: 1 }],
  ])('%p equals %p', (a, b) => {
    expect(valuesEqual(a, b)).toBe(true);
    expect(valuesEqual(b, a)).toBe(true);
  });

  it.each<[unknown, unknown]>([
    ['12.51', 12.5],
    [2, true],
    [0, null],
    ['', null],
    [false, null],
    ['007', '7'],
    [{ a: 1 }, { a: 1, b: 2 }],
    [
      [1, 2],
      [2, 1],
    ],
    [new Date('2026-04-18T14:23:18.000Z'), new Date('2026-04-18T14:23:18.001Z')],
    ['abc', 'abd'],
  ])('%p differs from %p', (a, b) => {
    expect(valuesEqual(a, b)).toBe(false);
    expect(valuesEqual(b, a)).toBe(false);
  });
});

describe('diffValues', () => {
  it('keeps only the changed fields, as nulls when nothing changed', () => {
    expect(diffValues({ a: 1, b: 'x' }, { a: 2, b: 'x' })).toEqual({ oldValues: { a: 1 }, newValues: { a: 2 } });
    expect(diffValues({ a: 1 }, { a: '1.0' })).toEqual({ oldValues: null, newValues: null });
  });

  it('puts a key present on one side only on that side only', () => {
    expect(diffValues({ a: 1, dropped: 2 }, { a: 1, added: 3 })).toEqual({
      oldValues: { dropped: 2 },
      newValues: { added: 3 },
    });
  });

  it('treats keys missing from a partial entity as not written', () => {
    expect(diffValues({ a: 1, b: 2 }, { b: 3 }, true)).toEqual({ oldValues: { b: 2 }, newValues: { b: 3 } });
  });

  it('keeps falsy values: 0, false, empty string and null are real changes', () => {
    expect(diffValues({ a: 5, b: true, c: 'x', d: 1 }, { a: 0, b: false, c: '', d: null })).toEqual({
      oldValues: { a: 5, b: true, c: 'x', d: 1 },
      newValues: { a: 0, b: false, c: '', d: null },
    });
  });
});

describe('withoutFields', () => {
  it('drops exact, case-sensitive, top-level keys and never returns {}', () => {
    const excluded = new Set(['password']);
    expect(withoutFields({ password: 'x', Password: 'y', nested: { password: 'z' } }, excluded)).toEqual({
      Password: 'y',
      nested: { password: 'z' },
    });
    expect(withoutFields({ password: 'x' }, excluded)).toBeNull();
  });
});

describe('valuesEqual on deep JSON', () => {
  function nested(levels: number, leaf: unknown): unknown {
    let value = leaf;
    for (let i = 0; i < levels; i++) value = { a: value, b: [i] };
    return value;
  }

  it.each([1500, 10_000])('#3 compares %p-level documents without running out of stack', (levels) => {
    expect(valuesEqual(nested(levels, 1), nested(levels, 1))).toBe(true);
    expect(valuesEqual(nested(levels, 1), nested(levels, 2))).toBe(false);
    expect(valuesEqual(JSON.stringify(nested(200, 1)), nested(200, 1))).toBe(true);
    const [before, after] = [nested(levels, 1), nested(levels, 2)];
    const diff = diffValues({ doc: before, same: nested(levels, 1) }, { doc: after, same: nested(levels, 1) });
    expect(diff.oldValues?.doc).toBe(before);
    expect(diff.newValues?.doc).toBe(after);
    expect(Object.keys(diff.newValues!)).toEqual(['doc']);
  });
});
