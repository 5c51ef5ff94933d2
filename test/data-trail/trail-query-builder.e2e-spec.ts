import { Brackets, type DataSource, type EntityManager, type ObjectLiteral, type Repository } from 'typeorm';
import type { DataLog } from 'nestjs-audit-trail';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { canonicalRow } from './fixtures/canonical-values';
import { TrailItem } from './fixtures/trail-entities';
import { tableRow, trailOf } from './fixtures/trail-helpers';

type Source = 'DataSource' | 'EntityManager' | 'Repository';

/** The five write builders, obtained the way a caller of that source would. */
function builders(t: TestApp, source: Source) {
  const repository: Repository<TrailItem> = t.dataSource.getRepository(TrailItem);
  const root: DataSource | EntityManager = source === 'DataSource' ? t.dataSource : t.dataSource.manager;
  if (source === 'Repository') {
    return {
      update: (values: Partial<TrailItem>) => repository.createQueryBuilder().update().set(values),
      delete: () => repository.createQueryBuilder().delete(),
      softDelete: () => repository.createQueryBuilder().softDelete(),
      restore: () => repository.createQueryBuilder().restore(),
      insert: () => repository.createQueryBuilder().insert(),
    };
  }
  return {
    update: (values: Partial<TrailItem>) => root.createQueryBuilder().update(TrailItem).set(values),
    delete: () => root.createQueryBuilder().delete().from(TrailItem),
    softDelete: () => root.createQueryBuilder().softDelete().from(TrailItem),
    restore: () => root.createQueryBuilder().restore().from(TrailItem),
    insert: () => root.createQueryBuilder().insert().into(TrailItem),
  };
}

let tags = 0;

/** Four items a..d (qty 1..4) under a fresh tag, and a decoy with the same names and qty under another tag. */
async function seed(t: TestApp): Promise<{ tag: string; items: Record<'a' | 'b' | 'c' | 'd', TrailItem> }> {
  const tag = `qb${++tags}`;
  const repository = t.dataSource.getRepository(TrailItem);
  const saved = await repository.save(['a', 'b', 'c', 'd'].map((name, i) => ({ name, tag, qty: i + 1 })));
  await repository.save(['a', 'b', 'c', 'd'].map((name, i) => ({ name, tag: `${tag}-decoy`, qty: i + 1 })));
  return { tag, items: { a: saved[0], b: saved[1], c: saved[2], d: saved[3] } };
}

/** Rows written for this tag's items after their creation, as `action name`. */
async function changesOf(t: TestApp, items: ObjectLiteral[]): Promise<DataLog[]> {
  const rows: DataLog[] = [];
  for (const item of items) rows.push(...(await trailOf(t, 'trail_items', item.id)).slice(1));
  return rows;
}

// Issue 11, finding 3: query-builder writes, however the builder was obtained.
describeEachDialect('data trail, finding 3: QueryBuilder writes', (dialect) => {
  describe('recorded one row per affected entity', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ dialect, entities: [TrailItem], audit: { dataAudit: { enabled: true } } });
    });
    afterAll(() => t?.close());

    describe.each<Source>(['DataSource', 'EntityManager', 'Repository'])('builder from %s', (source) => {
      it('update().set().where().andWhere(new Brackets(where / orWhere)) with parameters: update rows with old values for exactly the matched rows', async () => {
        const { tag, items } = await seed(t);
        const decoys = await t.dataSource.getRepository(TrailItem).findBy({ tag: `${tag}-decoy` });
        await builders(t, source)
          .update({ qty: 50 })
          .where('tag = :tag', { tag })
          .andWhere(new Brackets((qb) => qb.where('qty < :low', { low: 2 }).orWhere('name = :name', { name: 'c' })))
          .execute();

        expect((await tableRow(t, 'trail_items', items.a.id))?.qty).toBe(50);
        expect((await tableRow(t, 'trail_items', items.c.id))?.qty).toBe(50);
        const rows = await changesOf(t, [...Object.values(items), ...decoys]);
        expect(rows.map((row) => [row.action, row.entityId, row.oldValues, row.newValues])).toEqual([
          ['update', String(items.a.id), { qty: 1 }, { qty: 50 }],
          ['update', String(items.c.id), { qty: 3 }, { qty: 50 }],
        ]);
        expect(rows[0].transactionId).toBe(rows[1].transactionId);
      });

      it('delete().whereInIds([...]): delete rows holding the rows as they were', async () => {
        const { items } = await seed(t);
        const before = [await tableRow(t, 'trail_items', items.b.id), await tableRow(t, 'trail_items', items.d.id)];
        await builders(t, source).delete().whereInIds([items.b.id, items.d.id]).execute();

        expect(await tableRow(t, 'trail_items', items.b.id)).toBeUndefined();
        const rows = await changesOf(t, Object.values(items));
        expect(rows.map((row) => [row.action, row.entityId, canonicalRow(row.oldValues), row.newValues])).toEqual([
          ['delete', String(items.b.id), canonicalRow(before[0]), null],
          ['delete', String(items.d.id), canonicalRow(before[1]), null],
        ]);
      });

      it('softDelete().where().andWhere() then restore().whereInIds(): soft_delete and restore rows with the stored delete date', async () => {
        const { tag, items } = await seed(t);
        await builders(t, source).softDelete().where('tag = :tag', { tag }).andWhere('qty >= :q', { q: 3 }).execute();
        const stored = await tableRow(t, 'trail_items', items.c.id);
        expect(stored?.deleted_at).not.toBeNull();

        let rows = await changesOf(t, Object.values(items));
        expect(rows.map((row) => [row.action, row.entityId])).toEqual([
          ['soft_delete', String(items.c.id)],
          ['soft_delete', String(items.d.id)],
        ]);
        expect(rows[0].oldValues).toMatchObject({ id: items.c.id, name: 'c', qty: 3, deleted_at: null });
        expect(canonicalRow({ at: rows[0].newValues?.deleted_at })).toEqual(canonicalRow({ at: stored?.deleted_at }));

        await builders(t, source).restore().whereInIds([items.c.id]).execute();
        expect((await tableRow(t, 'trail_items', items.c.id))?.deleted_at).toBeNull();
        rows = await changesOf(t, Object.values(items));
        expect(rows.map((row) => [row.action, row.entityId, row.newValues])).toEqual([
          ['soft_delete', String(items.c.id), expect.anything()],
          // The delete date went back to null; whether the other (unchanged) columns appear is not asserted here.
          ['restore', String(items.c.id), expect.objectContaining({ deleted_at: null })],
          ['soft_delete', String(items.d.id), expect.anything()],
        ]);
      });

      it('insert().values([...]): one create row per inserted row, as stored', async () => {
        const tag = `ins-${source.slice(0, 4)}`;
        await builders(t, source)
          .insert()
          .values([
            { name: 'n1', tag, qty: 7 },
            { name: 'n2', tag, qty: 8 },
          ])
          .execute();
        const stored: Array<Record<string, unknown>> = await t.dataSource.query(
          `SELECT * FROM trail_items WHERE tag = '${tag}' ORDER BY id`,
        );
        expect(stored).toHaveLength(2);
        for (const row of stored) {
          const trail = await trailOf(t, 'trail_items', Number(row.id));
          expect(trail.map((entry) => [entry.action, canonicalRow(entry.newValues)])).toEqual([
            ['create', canonicalRow(row)],
          ]);
        }
      });
    });
  });

  describe('atomic with the write: an audit table that cannot be written, onError fail-loud', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({
        dialect,
        entities: [TrailItem],
        audit: { dataAudit: { enabled: true, onError: 'fail-loud' } },
      });
      await t.dataSource.getRepository(TrailItem).save({ name: 'kept', tag: 'atomic', qty: 1 });
      await t.dataSource.query('ALTER TABLE audit_logs RENAME TO audit_logs_offline');
    });
    afterAll(() => t?.close());

    it('a QueryBuilder insert outside a transaction fails and its row is not committed', async () => {
      await expect(
        t.dataSource
          .createQueryBuilder()
          .insert()
          .into(TrailItem)
          .values({ name: 'ghost', tag: 'atomic', qty: 1 })
          .execute(),
      ).rejects.toThrow();
      expect(await t.dataSource.query("SELECT id FROM trail_items WHERE name = 'ghost'")).toEqual([]);
    });

    it('a QueryBuilder update outside a transaction fails and the row keeps its value', async () => {
      await expect(
        t.dataSource
          .createQueryBuilder()
          .update(TrailItem)
          .set({ qty: 99 })
          .where('name = :name', { name: 'kept' })
          .execute(),
      ).rejects.toThrow();
      const rows: Array<{ qty: number }> = await t.dataSource.query("SELECT qty FROM trail_items WHERE name = 'kept'");
      expect(rows.map((row) => Number(row.qty))).toEqual([1]);
    });
  });
});
