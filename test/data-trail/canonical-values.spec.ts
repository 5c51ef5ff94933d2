import { canonicalRow, rowDifferences, sameValue } from './fixtures/canonical-values';

describe('canonical comparison of stored values (property-test helper)', () => {
  it('numbers by value whatever the driver returned, sign kept', () => {
    expect(sameValue('12.50', 12.5)).toBe(true);
    expect(sameValue('12.5', '12.50')).toBe(true);
    expect(sameValue('-0.00', 0)).toBe(true);
    expect(sameValue('42', BigInt(42))).toBe(true);
    expect(sameValue('12.50', -12.5)).toBe(false);
    expect(sameValue(12.5, -12.5)).toBe(false);
    expect(sameValue('12.51', 12.5)).toBe(false);
  });

  it('booleans as 0/1', () => {
    expect(sameValue(true, 1)).toBe(true);
    expect(sameValue(false, 0)).toBe(true);
    expect(sameValue(false, '0')).toBe(true);
    expect(sameValue(true, 0)).toBe(false);
  });

  it('dates by instant: Date, ISO text, and zone-less SQL text read as UTC', () => {
    const at = new Date('2026-03-01T10:20:30.456Z');
    expect(sameValue(at, '2026-03-01T10:20:30.456Z')).toBe(true);
    expect(sameValue(at, '2026-03-01 10:20:30.456')).toBe(true);
    expect(sameValue(at, '2026-03-01T12:20:30.456+02:00')).toBe(true);
    expect(sameValue(at, '2026-03-01T10:20:30.000Z')).toBe(false);
  });

  it('JSON deeply, from text or parsed, key order ignored', () => {
    expect(sameValue('{"b":[1,2],"a":1}', { a: 1, b: [1, 2] })).toBe(true);
    expect(sameValue('[1,{"x":true}]', [1, { x: true }])).toBe(true);
    expect(sameValue('{"a":1}', { a: 2 })).toBe(false);
    expect(sameValue('{not json', '{not json')).toBe(true);
  });

  it('null and undefined alike; text otherwise compared exactly', () => {
    expect(sameValue(null, undefined)).toBe(true);
    expect(sameValue('', null)).toBe(false);
    expect(sameValue('abc', 'abc')).toBe(true);
    expect(sameValue('abc', 'abd')).toBe(false);
  });

  it('rows: canonical forms compare with toEqual, differences name the columns', () => {
    const table = { id: 3, price: '12.50', active: 1, data: '{"a":1}', gone: undefined };
    const trail = { active: true, data: { a: 1 }, id: '3', price: 12.5 };
    expect(canonicalRow(table)).toEqual(canonicalRow(trail));
    expect(rowDifferences(table, { ...trail, price: -12.5 })).toEqual([
      { column: 'price', expected: '12.50', actual: -12.5 },
    ]);
    expect(canonicalRow(null)).toBeNull();
  });
});
