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

/** `{ a: { a: ... leaf } }`, `levels` objects deep. */
function nested(levels: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

/** How many `a` levels a value written by `nested` has, and its leaf (no recursion, unlike toEqual). */
function walk(value: unknown): { levels: number; leaf: unknown } {
  let levels = 0;
  while (value !== null && typeof value === 'object') [value, levels] = [(value as { a: unknown }).a, levels + 1];
  return { levels, leaf: value };
}

/** Deepest nesting of objects and arrays in JSON text. */
function depthOf(text: string): number {
  let [depth, deepest, inString] = [0, 0, false];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') deepest = Math.max(deepest, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return deepest;
}

describe('JSON columns: values every database accepts', () => {
  it('#4 stores a lone surrogate as U+FFFD, in values and keys, keeping real pairs and literal text', () => {
    const text = toJsonColumn({ a: 'evil\ud800', ['k\udfff']: ['\udbff', '\ud83d\ude00'], b: '\\ud800' })!;
    expect(text).not.toMatch(/(?<!\\)(\\\\)*\\ud[89a-f]/i);
    expect(fromJsonColumn(text)).toEqual({ a: 'evil\ufffd', ['k\ufffd']: ['\ufffd', '\ud83d\ude00'], b: '\\ud800' });
  });

  it.each([31, 32, 40, 1500, 10_000])(
    '#4 stores a %p-level document in at most 30 levels, the deeper part as its JSON text',
    (levels) => {
      const text = toJsonColumn(nested(levels, 'leaf'))!;
      expect(depthOf(text)).toBeLessThanOrEqual(30);
      // Level 30 holds the JSON text of what was below it.
      let value = fromJsonColumn<unknown>(text);
      for (let level = 1; level < 30; level++) value = (value as { a: unknown }).a;
      const below = (value as { a: unknown }).a;
      if (levels <= 30) {
        expect(typeof below).not.toBe('string');
      } else {
        expect(typeof below).toBe('string');
        expect(walk(JSON.parse(below as string))).toEqual({ levels: levels - 30, leaf: 'leaf' });
      }
    },
  );

  it('leaves JSON of 30 levels as it is, and encodes deep values like JSON.stringify', () => {
    const thirty = nested(30, 1);
    expect(toJsonColumn(thirty)).toBe(JSON.stringify(thirty));
    const when = new Date('2026-04-18T14:23:18.000Z');
    const odd = {
      when,
      n: BigInt(7),
      skip: undefined,
      f: () => 1,
      list: [undefined, NaN, -0, 'x'],
      s: new String('s'),
    };
    const deep = nested(40, odd);
    let value = fromJsonColumn<unknown>(toJsonColumn(deep));
    for (let level = 1; level < 30; level++) value = (value as { a: unknown }).a;
    expect(JSON.parse((value as { a: string }).a)).toEqual(
      nested(10, { when: when.toISOString(), n: '7', list: [null, null, 0, 'x'], s: 's' }),
    );
  });

  it('stores a circular value as a marker, however deep', () => {
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    expect(fromJsonColumn(toJsonColumn(loop))).toMatchObject({ _unencodable: true });
    expect(fromJsonColumn(toJsonColumn(nested(50, loop)))).toMatchObject({ _unencodable: true });
  });
});
