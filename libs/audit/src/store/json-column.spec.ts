import { fromJsonColumn, toJsonColumn, toValuesColumn } from './json-column';

describe('JSON columns', () => {
  it('stores a NUL character as U+FFFD, leaving a literal backslash-u0000 alone', () => {
    const text = toJsonColumn({ a: 'nul\u0000byte', b: '\\u0000', c: '\\\u0000' })!;
    expect(fromJsonColumn(text)).toEqual({ a: 'nul\ufffdbyte', b: '\\u0000', c: '\\\ufffd' });
  });

  it('writes BigInt as its decimal string and an empty set of values as NULL', () => {
    expect(toJsonColumn({ n: BigInt('9007199254740993') })).toBe('{"n":"9007199254740993"}');
    expect(toValuesColumn({})).toBeNull();
    expect(toValuesColumn(null)).toBeNull();
    expect(toJsonColumn('text body')).toBe('"text body"');
  });
});
