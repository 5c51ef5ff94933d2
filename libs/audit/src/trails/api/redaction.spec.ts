import { CIRCULAR, REDACTED, redactBody, redactHeaders } from './redaction';

describe('redactHeaders', () => {
  it('redacts names case-insensitively and keeps their original casing', () => {
    const headers = { Authorization: 'Bearer abc', 'X-API-KEY': 'k1', 'Content-Type': 'application/json' };

    expect(redactHeaders(headers, ['authorization', 'x-api-key'])).toEqual({
      Authorization: REDACTED,
      'X-API-KEY': REDACTED,
      'Content-Type': 'application/json',
    });
  });

  it('gives one string per header: arrays joined, numbers stringified, absent values dropped', () => {
    const headers = {
      'Set-Cookie': ['a=1', 'b=2'],
      'Content-Length': 42,
      'X-Empty': undefined,
      'X-Null': null,
      'X-Dropped-By-Axios': false,
    };

    expect(redactHeaders(headers, [])).toEqual({ 'Set-Cookie': 'a=1, b=2', 'Content-Length': '42' });
  });

  it('redacts every value of a multi-valued header', () => {
    expect(redactHeaders({ 'Set-Cookie': ['session=s3cret', 'theme=dark'] }, ['SET-COOKIE'])).toEqual({
      'Set-Cookie': REDACTED,
    });
  });

  it('reads a WHATWG Headers', () => {
    const headers = new Headers({ Authorization: 'Bearer abc', Accept: 'application/json' });

    // Headers lower-cases names itself; there is no original casing left to keep.
    expect(redactHeaders(headers, ['AUTHORIZATION'])).toEqual({ authorization: REDACTED, accept: 'application/json' });
  });

  it('reads [name, value] pairs and joins names that differ only in case under the first spelling', () => {
    const pairs = [
      ['Accept', 'text/html'],
      ['accept', 'application/json'],
      ['X-Token', 't1'],
      ['x-token', 't2'],
    ];

    expect(redactHeaders(pairs, ['x-token'])).toEqual({ Accept: 'text/html, application/json', 'X-Token': REDACTED });
  });

  it("reads Node's flat rawHeaders and a Map", () => {
    expect(redactHeaders(['Host', 'example.com', 'Cookie', 'c=1'], ['cookie'])).toEqual({
      Host: 'example.com',
      Cookie: REDACTED,
    });
    expect(redactHeaders(new Map([['X-Api-Key', 'k']]), ['x-api-key'])).toEqual({ 'X-Api-Key': REDACTED });
  });

  it('never throws on odd input', () => {
    expect(redactHeaders(null, ['a'])).toEqual({});
    expect(redactHeaders(undefined, ['a'])).toEqual({});
    expect(redactHeaders('Authorization: x', ['a'])).toEqual({});
    expect(redactHeaders(42, ['a'])).toEqual({});
    expect(redactHeaders([['ok', 'v'], 'junk', [1, 'x'], null], [])).toEqual({ ok: 'v' });
    expect(redactHeaders({ nested: { a: 1 }, fn: () => 1, ok: 'v' }, [])).toEqual({ ok: 'v' });

    const throwing = {
      ok: 'v',
      get bad(): string {
        throw new Error('boom');
      },
    };
    expect(() => redactHeaders(throwing, [])).not.toThrow();
  });

  it('does not let a __proto__ header name touch the prototype', () => {
    const out = redactHeaders(JSON.parse('{"__proto__": "x", "a": "b"}'), []);

    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'a']);
  });
});

describe('redactBody', () => {
  it('redacts keys case-insensitively at any depth, inside arrays too, and keeps the keys', () => {
    const body = {
      Password: 'hunter2',
      order: {
        items: [
          { sku: 'A1', payment: { CARD_NUMBER: '4111111111111111', cvv: '123' } },
          { sku: 'B2', card_number: '5500000000000004' },
        ],
      },
    };

    expect(redactBody(body, ['password', 'card_number', 'CVV'])).toEqual({
      Password: REDACTED,
      order: {
        items: [
          { sku: 'A1', payment: { CARD_NUMBER: REDACTED, cvv: REDACTED } },
          { sku: 'B2', card_number: REDACTED },
        ],
      },
    });
  });

  it('redacts a whole subtree whose key matches', () => {
    expect(redactBody({ card: { number: '4111', exp: '12/30' }, id: 1 }, ['card'])).toEqual({ card: REDACTED, id: 1 });
  });

  it('never mutates its input', () => {
    const body = { user: { password: 'p', tags: ['a'] }, list: [{ token: 't' }] };
    const before = structuredClone(body);

    const out = redactBody(body, ['password', 'token']) as typeof body;

    expect(body).toEqual(before);
    expect(out).not.toBe(body);
    expect(out.user).not.toBe(body.user);
    expect(out.user.tags).not.toBe(body.user.tags);
  });

  it('turns a reference back to an ancestor into [Circular] without throwing', () => {
    const body: Record<string, unknown> = { name: 'loop', secret: 's' };
    body.self = body;
    body.list = [body, { back: body }];

    const out = redactBody(body, ['secret']);

    expect(out).toEqual({ name: 'loop', secret: REDACTED, self: CIRCULAR, list: [CIRCULAR, { back: CIRCULAR }] });
    expect(() => JSON.stringify(out)).not.toThrow();
  });

  it('copies an object shared by two branches twice, as JSON.stringify would', () => {
    const address = { city: 'Jakarta' };

    expect(redactBody({ billing: address, shipping: address }, [])).toEqual({
      billing: { city: 'Jakarta' },
      shipping: { city: 'Jakarta' },
    });
  });

  it('makes BigInt, Date and toJSON values JSON-able', () => {
    const out = redactBody(
      {
        amount: 12345678901234567890n,
        at: new Date('2026-04-18T14:23:18.123Z'),
        never: new Date(Number.NaN),
        money: { toJSON: () => ({ value: '10.00', pin: '1234' }) },
      },
      ['pin'],
    );

    expect(out).toEqual({
      amount: '12345678901234567890',
      at: '2026-04-18T14:23:18.123Z',
      never: null,
      money: { value: '10.00', pin: REDACTED },
    });
    expect(redactBody(5n, [])).toBe('5');
  });

  it('drops functions, symbols and undefined from objects and nulls them in arrays', () => {
    const out = redactBody({ a: 1, f: () => 1, s: Symbol('s'), u: undefined, list: [1, undefined, () => 2] }, []);

    expect(out).toEqual({ a: 1, list: [1, null, null] });
    expect(Object.keys(out as object)).toEqual(['a', 'list']);
    expect(redactBody(() => 1, [])).toBeUndefined();
  });

  it('returns bytes as they are', () => {
    const buffer = Buffer.from('raw');
    const view = new Uint8Array([1, 2]);

    const out = redactBody({ file: buffer, view }, []) as { file: unknown; view: unknown };

    expect(out.file).toBe(buffer);
    expect(out.view).toBe(view);
  });

  it('passes primitives through', () => {
    expect(redactBody('text', ['text'])).toBe('text');
    expect(redactBody(7, [])).toBe(7);
    expect(redactBody(null, [])).toBeNull();
  });

  it('does not let a __proto__ key from a parsed body touch the copy’s prototype', () => {
    const out = redactBody(JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'), []) as Record<string, unknown>;

    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(out)).toEqual(['__proto__', 'a']);
  });

  it('skips a field whose getter throws', () => {
    const body = {
      ok: 1,
      get bad(): number {
        throw new Error('boom');
      },
    };

    expect(redactBody(body, [])).toEqual({ ok: 1 });
  });
});
