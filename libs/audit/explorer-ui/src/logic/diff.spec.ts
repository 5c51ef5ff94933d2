import { diffLines, displayValue, replayStates, sameValue } from './diff';

describe('explorer diff', () => {
  it('lists changed fields first, then unchanged ones, and tells absent from null', () => {
    const lines = diffLines(
      { status: 'pending', payment_ref: null, amount: '10.00', meta: { a: 1, b: [1, 2] } },
      { status: 'paid', payment_ref: '123', amount: '10.00', meta: { b: [1, 2], a: 1 }, note: null },
    );
    expect(lines.map((line) => [line.field, line.changed])).toEqual([
      ['status', true],
      ['payment_ref', true],
      ['note', true],
      ['amount', false],
      ['meta', false],
    ]);
    expect(lines[2]).toMatchObject({ beforeMissing: true, afterMissing: false, after: null });
  });

  it('shows a create as every field new and a delete as every field gone', () => {
    expect(diffLines(null, { id: 1 })).toEqual([
      { field: 'id', before: undefined, after: 1, changed: true, beforeMissing: true, afterMissing: false },
    ]);
    expect(diffLines({ id: 1 }, null)[0]).toMatchObject({ changed: true, beforeMissing: false, afterMissing: true });
  });

  it('compares JSON values deeply, key order aside', () => {
    expect(sameValue({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(sameValue([1, 2], { 0: 1, 1: 2 })).toBe(false);
    expect(sameValue({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameValue(null, {})).toBe(false);
  });

  it('replays full states, so an update shows its unchanged fields too', () => {
    const states = replayStates([
      { id: 1, action: 'create', oldValues: null, newValues: { id: 7, status: 'pending', payment_ref: null } },
      { id: 2, action: 'update', oldValues: { status: 'pending' }, newValues: { status: 'paid', payment_ref: 'P' } },
      { id: 3, action: 'delete', oldValues: { id: 7, status: 'paid', payment_ref: 'P' }, newValues: null },
      { id: 4, action: 'restore', oldValues: null, newValues: { id: 7, status: 'paid', payment_ref: 'P' } },
    ]);
    expect(states[1]).toEqual({
      before: { id: 7, status: 'pending', payment_ref: null },
      after: { id: 7, status: 'paid', payment_ref: 'P' },
    });
    expect(states[2].after).toBeNull();
    expect(states[3]).toEqual({ before: null, after: { id: 7, status: 'paid', payment_ref: 'P' } });
  });

  it("starts from the first loaded row's old values when the history does not reach its create", () => {
    const [first] = replayStates([{ id: 9, action: 'update', oldValues: { stock: 1 }, newValues: { stock: 2 } }]);
    expect(first).toEqual({ before: { stock: 1 }, after: { stock: 2 } });
  });

  it('displays values as they read', () => {
    expect([null, 'text', 3, true, { a: 1 }].map((value) => displayValue(value))).toEqual([
      'null',
      'text',
      '3',
      'true',
      '{"a":1}',
    ]);
    expect(displayValue(undefined, true)).toBe('—');
  });
});
