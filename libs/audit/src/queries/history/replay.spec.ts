import type { DataAction } from '../../store/audit-entry';
import { replayEntity, type EntityState, type ReplayedLog } from './replay';

const at = (second: number) => new Date(Date.UTC(2026, 3, 18, 14, 0, second));

function row(
  id: number,
  second: number,
  action: DataAction,
  oldValues: Record<string, unknown> | null,
  newValues: Record<string, unknown> | null,
): ReplayedLog {
  return { id, action, oldValues, newValues, createdAt: at(second) };
}

const NOTHING: EntityState = { exists: false, values: null };

describe('replayEntity', () => {
  describe('through a whole life: create, update, update, soft_delete, recover, update, delete', () => {
    const created = { id: 7, name: 'Widget', price: 10, stock: 5, active: true, note: 'hi', deleted_at: null };
    const afterZeroes = { ...created, price: 0, stock: 0 };
    const afterFalsy = { ...afterZeroes, active: false, note: '' };
    const softDeleted = { ...afterFalsy, deleted_at: '2026-04-18T14:00:40.000Z' };
    const recovered = { ...afterFalsy, deleted_at: null };
    const renamed = { ...recovered, name: 'Gadget', note: null };

    const history: ReplayedLog[] = [
      row(1, 10, 'create', null, created),
      row(2, 20, 'update', { price: 10, stock: 5 }, { price: 0, stock: 0 }),
      row(3, 30, 'update', { active: true, note: 'hi' }, { active: false, note: '' }),
      row(4, 40, 'soft_delete', afterFalsy, { deleted_at: softDeleted.deleted_at }),
      // recover() records the whole row it brings back, as go-audit replays a restore.
      row(5, 50, 'restore', softDeleted, recovered),
      row(6, 60, 'update', { name: 'Widget', note: '' }, { name: 'Gadget', note: null }),
      row(7, 70, 'delete', renamed, null),
    ];

    it.each<[string, number, EntityState]>([
      ['before the create', 5, NOTHING],
      ['after the create', 10, { exists: true, values: created }],
      ['after prices and stock went to 0', 25, { exists: true, values: afterZeroes }],
      ['after active went false and note empty', 30, { exists: true, values: afterFalsy }],
      ['while soft-deleted', 45, { exists: false, values: softDeleted }],
      ['after the recover', 50, { exists: true, values: recovered }],
      ['after a field was set to null', 65, { exists: true, values: renamed }],
      ['after the delete', 70, NOTHING],
      ['long after the delete', 3600, NOTHING],
    ])('%s', (_moment, second, expected) => {
      const state = replayEntity(history, at(second));

      expect(state).toStrictEqual(expected);
    });

    it('keeps 0, false, empty string and null as values, not as missing fields', () => {
      const { values } = replayEntity(history, at(65));

      expect(values).toHaveProperty('price', 0);
      expect(values).toHaveProperty('stock', 0);
      expect(values).toHaveProperty('active', false);
      expect(values).toHaveProperty('note', null);
      expect(values).toHaveProperty('deleted_at', null);
      expect(replayEntity(history, at(30)).values).toHaveProperty('note', '');
    });

    it('gives the same answer whatever order the rows come in', () => {
      const shuffled = [history[4], history[0], history[6], history[2], history[5], history[1], history[3]];

      for (const second of [5, 10, 25, 30, 45, 50, 65, 70]) {
        expect(replayEntity(shuffled, at(second))).toStrictEqual(replayEntity(history, at(second)));
      }
    });

    it('does not reorder or change the rows it was given', () => {
      const reversed = [...history].reverse();
      const before = structuredClone(reversed);

      replayEntity(reversed, at(65));

      expect(reversed).toStrictEqual(before);
    });

    it('returns values the caller may change without touching the rows', () => {
      const state = replayEntity(history, at(10));
      state.values!.name = 'changed';

      expect(history[0].newValues).toHaveProperty('name', 'Widget');
      expect(replayEntity(history, at(10)).values).toHaveProperty('name', 'Widget');
    });
  });

  it('breaks a tie on created_at by id', () => {
    const rows = [
      row(12, 10, 'update', { qty: 1 }, { qty: 2 }),
      row(13, 10, 'update', { qty: 2 }, { qty: 0 }),
      row(11, 10, 'create', null, { qty: 1 }),
    ];

    expect(replayEntity(rows, at(10))).toStrictEqual({ exists: true, values: { qty: 0 } });
    expect(replayEntity([...rows].reverse(), at(10))).toStrictEqual({ exists: true, values: { qty: 0 } });
  });

  it('applies rows in id order, the order they were written, whatever their timestamps say', () => {
    const rows = [row(2, 10, 'create', null, { qty: 1 }), row(1, 20, 'update', { qty: 1 }, { qty: 5 })];

    expect(replayEntity(rows, at(20)).values).toStrictEqual({ qty: 1 });
  });

  it('counts a row written at exactly `at` and none a millisecond later', () => {
    const rows = [row(1, 10, 'create', null, { qty: 1 })];

    expect(replayEntity(rows, at(10)).exists).toBe(true);
    expect(replayEntity(rows, new Date(at(10).getTime() - 1))).toStrictEqual(NOTHING);
  });

  it('returns nothing, not an empty object, for an entity with no rows', () => {
    expect(replayEntity([], at(10))).toStrictEqual(NOTHING);
  });

  it('starts from nothing when the first row seen is an update, as go-audit does', () => {
    const rows = [row(1, 10, 'update', { name: 'Old', flag: true }, { name: 'New', flag: false })];

    expect(replayEntity(rows, at(10))).toStrictEqual({ exists: true, values: { name: 'New', flag: false } });
  });

  it('starts from the old values when the first row seen is a soft_delete', () => {
    const rows = [row(1, 10, 'soft_delete', { name: 'A', removed_on: null }, { removed_on: '2026-04-18' })];

    expect(replayEntity(rows, at(10))).toStrictEqual({
      exists: false,
      values: { name: 'A', removed_on: '2026-04-18' },
    });
  });

  it('brings a soft-deleted entity back when an update clears its delete date', () => {
    const rows = [
      row(1, 10, 'create', null, { name: 'A', removed_on: null }),
      row(2, 20, 'soft_delete', { name: 'A', removed_on: null }, { removed_on: '2026-04-18' }),
      row(3, 30, 'update', { name: 'A' }, { name: 'B' }),
      row(4, 40, 'update', { removed_on: '2026-04-18' }, { removed_on: null }),
      row(5, 50, 'update', { removed_on: null }, { removed_on: '2026-04-19' }),
    ];

    expect(replayEntity(rows, at(30))).toStrictEqual({
      exists: false,
      values: { name: 'B', removed_on: '2026-04-18' },
    });
    expect(replayEntity(rows, at(40))).toStrictEqual({ exists: true, values: { name: 'B', removed_on: null } });
    expect(replayEntity(rows, at(50)).exists).toBe(false);
  });

  it('treats a restore with a null target as the entity going away', () => {
    const rows = [row(1, 10, 'create', null, { name: 'A' }), row(2, 20, 'restore', { name: 'A' }, null)];

    expect(replayEntity(rows, at(20))).toStrictEqual(NOTHING);
  });

  it('brings back a hard-deleted entity with the restore target', () => {
    const rows = [
      row(1, 10, 'create', null, { name: 'A', qty: 0 }),
      row(2, 20, 'delete', { name: 'A', qty: 0 }, null),
      row(3, 30, 'restore', null, { name: 'A', qty: 0 }),
    ];

    expect(replayEntity(rows, at(30))).toStrictEqual({ exists: true, values: { name: 'A', qty: 0 } });
  });

  it('replaces the whole state with a restore target', () => {
    const rows = [
      row(1, 10, 'create', null, { name: 'A', qty: 1, added_later: 'x' }),
      row(2, 20, 'restore', { name: 'A', qty: 1, added_later: 'x' }, { name: 'Z', qty: 0 }),
    ];

    expect(replayEntity(rows, at(20))).toStrictEqual({ exists: true, values: { name: 'Z', qty: 0 } });
  });

  describe("go-audit's replay rules (rows as go-audit writes them)", () => {
    it('removes a key present in old values but absent from new values', () => {
      const rows = [
        row(1, 10, 'create', null, { status: 'pending', payment_ref: 'OLD', amount: 100 }),
        row(2, 20, 'update', { status: 'pending', payment_ref: 'OLD' }, { status: 'paid' }),
      ];

      expect(replayEntity(rows, at(20))).toStrictEqual({ exists: true, values: { status: 'paid', amount: 100 } });
    });

    it('lets a restore row replace the state: {a:1}, +c, restore to {a:1}', () => {
      const rows = [
        row(1, 10, 'create', null, { a: 1 }),
        row(2, 20, 'update', null, { c: 5 }),
        row(3, 30, 'restore', { a: 1, c: 5 }, { a: 1 }),
      ];

      expect(replayEntity(rows, at(20)).values).toStrictEqual({ a: 1, c: 5 });
      expect(replayEntity(rows, at(30))).toStrictEqual({ exists: true, values: { a: 1 } });
    });

    it('brings back a soft-deleted entity whole from a recover row that carries the whole row', () => {
      const rows = [
        row(1, 10, 'create', null, { id: 1, name: 'A', deleted_at: null }),
        row(2, 20, 'soft_delete', { id: 1, name: 'A', deleted_at: null }, { deleted_at: '2026-04-18T14:00:20Z' }),
        row(
          3,
          30,
          'restore',
          { id: 1, name: 'A', deleted_at: '2026-04-18T14:00:20Z' },
          { id: 1, name: 'A', deleted_at: null },
        ),
      ];

      expect(replayEntity(rows, at(25)).exists).toBe(false);
      expect(replayEntity(rows, at(30))).toStrictEqual({
        exists: true,
        values: { id: 1, name: 'A', deleted_at: null },
      });
    });

    it('keeps an update without old values from removing anything', () => {
      const rows = [row(1, 10, 'create', null, { a: 1, b: 2 }), row(2, 20, 'update', null, { b: 3 })];

      expect(replayEntity(rows, at(20)).values).toStrictEqual({ a: 1, b: 3 });
    });
  });

  it('lets a deleted entity be created again', () => {
    const rows = [
      row(1, 10, 'create', null, { name: 'A', qty: 1 }),
      row(2, 20, 'delete', { name: 'A', qty: 1 }, null),
      row(3, 30, 'create', null, { name: 'B' }),
    ];

    expect(replayEntity(rows, at(30))).toStrictEqual({ exists: true, values: { name: 'B' } });
  });
});
