import { Logger } from '@nestjs/common';
import type { DataAuditOptions } from 'nestjs-audit-trail';
import type { TestDialect } from '../support/databases';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { Secret, TrailItem } from './fixtures/trail-entities';
import { tableRow } from './fixtures/trail-helpers';

type RawSql = 'warn' | 'error' | 'ignore';

/** `dataAudit.rawSql` is the option these tests ask for; cast so the file compiles before it exists. */
const dataAudit = (rawSql?: RawSql) =>
  ({ enabled: true, excludeEntities: ['Secret'], ...(rawSql ? { rawSql } : {}) }) as DataAuditOptions;

const placeholder = (dialect: TestDialect, n: number) => (dialect === 'postgres' ? `$${n}` : '?');

/** Warnings through Nest's Logger (instance or static) that name the table. */
function watchWarnings(table: string) {
  const instance = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  const fixed = jest.spyOn(Logger, 'warn').mockImplementation(() => undefined);
  return {
    messages: () =>
      [...instance.mock.calls, ...fixed.mock.calls].map((call) => String(call[0])).filter((m) => m.includes(table)),
    restore: () => {
      instance.mockRestore();
      fixed.mockRestore();
    },
  };
}

// Issue 11: raw SQL that writes to an audited table cannot be attributed to rows; say so, or forbid it.
describeEachDialect('data trail: raw SQL writes to an audited table', (dialect) => {
  const p = (n: number) => placeholder(dialect, n);
  const update = () => `UPDATE trail_items SET qty = ${p(1)} WHERE id = ${p(2)}`;

  async function seeded(t: TestApp): Promise<number> {
    const item = await t.dataSource.getRepository(TrailItem).save({ name: 'raw', tag: 'raw', qty: 1 });
    await t.dataSource.getRepository(Secret).save({ value: 'quiet' });
    return item.id;
  }

  describe("default ('warn')", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ dialect, entities: [TrailItem, Secret], audit: { dataAudit: dataAudit() } });
    });
    afterAll(() => t?.close());

    it('warns once per statement shape through Logger, not once per call, and runs the statement', async () => {
      const id = await seeded(t);
      const warnings = watchWarnings('trail_items');
      try {
        await t.dataSource.query(update(), [2, id]);
        await t.dataSource.query(update(), [3, id]);
        await t.dataSource.manager.query(update(), [4, id]);
        expect(warnings.messages()).toHaveLength(1);
        expect((await tableRow(t, 'trail_items', id))?.qty).toBe(4);

        await t.dataSource.query(`DELETE FROM trail_items WHERE id = ${p(1)}`, [-1]);
        await t.dataSource.query(`DELETE FROM trail_items WHERE id = ${p(1)}`, [-2]);
        expect(warnings.messages()).toHaveLength(2);

        // Reads, and writes to tables that are not audited, are not warned about.
        await t.dataSource.query('SELECT * FROM trail_items');
        await t.dataSource.query(`UPDATE secrets SET value = ${p(1)}`, ['loud']);
        expect(warnings.messages()).toHaveLength(2);
        expect(watchWarnings('secrets').messages()).toEqual([]);
      } finally {
        warnings.restore();
      }
    });
  });

  describe("rawSql: 'error'", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ dialect, entities: [TrailItem, Secret], audit: { dataAudit: dataAudit('error') } });
    });
    afterAll(() => t?.close());

    it('throws before executing a write to an audited table; reads and unaudited tables still work', async () => {
      const id = await seeded(t);
      await expect(t.dataSource.query(update(), [42, id])).rejects.toThrow(/trail_items/);
      expect((await tableRow(t, 'trail_items', id))?.qty).toBe(1);
      await expect(t.dataSource.query('SELECT id FROM trail_items')).resolves.toEqual(expect.any(Array));
      await expect(t.dataSource.query(`UPDATE secrets SET value = ${p(1)}`, ['fine'])).resolves.toBeDefined();
    });
  });

  describe("rawSql: 'ignore'", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ dialect, entities: [TrailItem, Secret], audit: { dataAudit: dataAudit('ignore') } });
    });
    afterAll(() => t?.close());

    it('runs the statement and says nothing', async () => {
      const id = await seeded(t);
      const warnings = watchWarnings('trail_items');
      try {
        await t.dataSource.query(update(), [9, id]);
        expect(warnings.messages()).toEqual([]);
        expect((await tableRow(t, 'trail_items', id))?.qty).toBe(9);
      } finally {
        warnings.restore();
      }
    });
  });
});
