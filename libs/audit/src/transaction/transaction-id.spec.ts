import { acceptTransactionId, isSafeTransactionId, newTransactionId, TRANSACTION_ID_PATTERN } from './transaction-id';

describe('newTransactionId', () => {
  it('has the form YYYYMMDDTHHmmss- plus 32 lowercase hex characters, in UTC', () => {
    const id = newTransactionId(new Date('2026-04-18T14:23:18.999Z'));

    expect(id).toMatch(TRANSACTION_ID_PATTERN);
    expect(id).toMatch(/^20260418T142318-[0-9a-f]{32}$/);
    expect(id).toHaveLength(48);
  });

  it('uses the current time by default', () => {
    const before = new Date();
    const id = newTransactionId();
    const after = new Date();

    const stamp = id.slice(0, 15);
    const at = (d: Date) => d.toISOString().slice(0, 19).replace(/[-:]/g, '');
    expect(stamp >= at(before) && stamp <= at(after)).toBe(true);
  });

  it('is unique over 10,000 IDs made in the same second', () => {
    const now = new Date('2026-04-18T14:23:18Z');
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = newTransactionId(now);
      expect(id).toMatch(TRANSACTION_ID_PATTERN);
      ids.add(id);
    }

    expect(ids.size).toBe(10_000);
  });

  it('sorts by the time it was made', () => {
    const times = [
      '2025-12-31T23:59:59Z',
      '2026-01-01T00:00:00Z',
      '2026-01-01T00:00:01Z',
      '2026-01-09T09:09:09Z',
      '2026-01-10T10:00:00Z',
      '2026-04-18T14:23:18Z',
      '2099-02-03T04:05:06Z',
    ].map((t) => new Date(t));
    const ids = times.map((t) => newTransactionId(t));

    expect([...ids].reverse().sort()).toEqual(ids);
  });

  it('is a safe ID itself, so it can be propagated and accepted back', () => {
    const id = newTransactionId();

    expect(isSafeTransactionId(id)).toBe(true);
    expect(acceptTransactionId(id)).toBe(id);
  });
});

describe('isSafeTransactionId', () => {
  it.each(['a', 'abc-123', 'A_b.c:d-e', '20260418T142318-9f3c2a71c8e4d2b15c90a63e4f712b88', 'x'.repeat(100)])(
    'accepts %j',
    (value) => {
      expect(isSafeTransactionId(value)).toBe(true);
    },
  );

  it.each([
    ['empty', ''],
    ['101 characters', 'x'.repeat(101)],
    ['a trailing newline', 'abc\n'],
    ['a space', 'a b'],
    ['a comma', 'a,b'],
    ['a slash', 'a/b'],
    ['non-ASCII', 'café'],
    ['not a string', 123],
    ['null', null],
    ['undefined', undefined],
    ['an array', ['abc']],
  ])('rejects %s', (_label, value) => {
    expect(isSafeTransactionId(value)).toBe(false);
  });
});

describe('acceptTransactionId', () => {
  it('keeps a safe ID sent by the caller', () => {
    expect(acceptTransactionId('order-42:retry.1_a')).toBe('order-42:retry.1_a');
    expect(acceptTransactionId('x'.repeat(100))).toBe('x'.repeat(100));
  });

  it('keeps a safe ID that arrives as a one-element array', () => {
    expect(acceptTransactionId(['order-42'])).toBe('order-42');
  });

  it('makes a fresh ID when no header came', () => {
    expect(acceptTransactionId(undefined)).toMatch(TRANSACTION_ID_PATTERN);
  });

  it.each([
    ['empty', ''],
    ['300 characters', 'a'.repeat(300)],
    ['101 characters', 'a'.repeat(101)],
    ['CR/LF', 'abc\r\nSet-Cookie: session=stolen'],
    ['a bare LF', 'abc\n'],
    ['control characters', 'abc\u0000def\u001b[31m'],
    ['a tab', 'abc\tdef'],
    ['quotes and SQL', `x'; DROP TABLE audit_logs; --`],
    ['double quotes', '"abc"'],
    ['HTML', '<script>alert(1)</script>'],
    ['non-ASCII', 'tx-ünïcödé'],
    ['an emoji', 'tx-🙂'],
    ['lookalike Unicode', 'tx–1'],
    ['two values joined by Node', 'abc, def'],
    ['an array of two', ['abc', 'def']],
    ['an empty array', []],
    ['an array holding an unsafe value', ['abc\r\n']],
  ] as [string, string | string[]][])('replaces %s with a fresh ID', (_label, value) => {
    const id = acceptTransactionId(value);

    expect(id).toMatch(TRANSACTION_ID_PATTERN);
    expect(Array.isArray(value) ? value : [value]).not.toContain(id);
  });

  it('makes a different fresh ID each time it rejects', () => {
    expect(acceptTransactionId('bad id')).not.toBe(acceptTransactionId('bad id'));
  });
});
