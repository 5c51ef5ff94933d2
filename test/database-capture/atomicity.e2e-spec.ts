import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { count, databaseCapture } from './support';

describeEachDialect('database capture: atomic with the business write', (dialect) => {
  describe('transactions', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ dialect, entities: [Product], audit: databaseCapture() });
    });
    afterAll(() => t?.close());

    it('a transaction that saves two entities and then throws leaves zero audit rows', async () => {
      await expect(
        t.dataSource.transaction(async (manager) => {
          await manager.save(Product, { name: 'one', price: 1 });
          await manager.save(Product, { name: 'two', price: 2 });
          throw new Error('business failure');
        }),
      ).rejects.toThrow('business failure');
      expect(await count(t.dataSource, 'products')).toBe(0);
      expect(await count(t.dataSource, 'audit_logs')).toBe(0);
    });

    it('a committed transaction writes its rows with one shared transaction ID', async () => {
      await t.dataSource.transaction(async (manager) => {
        await manager.save(Product, { name: 'three', price: 3 });
        await manager.save(Product, { name: 'four', price: 4 });
      });
      const rows = await t.audit.query({});
      expect(rows.map((row) => row.action)).toEqual(['create', 'create']);
      expect(rows[0].transactionId).toBe(rows[1].transactionId);
      expect(rows[0].transactionId).not.toBe('');
    });

    it('rows of a rolled-back savepoint are dropped, the enclosing transaction keeps its own', async () => {
      await t.dataSource.transaction(async (manager) => {
        const kept = await manager.save(Product, { name: 'kept', price: 5 });
        await manager
          .transaction(async (inner) => {
            await inner.save(Product, { name: 'dropped', price: 6 });
            throw new Error('inner failure');
          })
          .catch(() => undefined);
        await manager.transaction(async (inner) => {
          await inner.update(Product, kept.id, { stock: 9 });
        });
      });
      const rows = (await t.audit.query({ from: new Date(Date.now() - 60_000) })).reverse();
      const names = rows.map((row) => `${row.action}:${row.newValues?.name ?? row.newValues?.stock}`);
      expect(names).toEqual(expect.arrayContaining(['create:kept', 'update:9']));
      expect(names.join()).not.toContain('dropped');
      expect(await count(t.dataSource, 'products')).toBe(3);
    });
  });

  describe('an audit table that cannot be written (triggers are fail-loud)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ dialect, entities: [Product], audit: databaseCapture({ onError: 'fail-loud' }) });
      // SQLite would rewrite the triggers to follow a renamed table; the legacy rename leaves them pointing at audit_logs.
      if (dialect === 'sqlite') await t.dataSource.query('PRAGMA legacy_alter_table = ON');
      await t.dataSource.query('ALTER TABLE audit_logs RENAME TO audit_logs_offline');
    });
    afterAll(() => t?.close());

    it('rolls back the save, the QueryBuilder write and raw SQL alike', async () => {
      await expect(t.dataSource.getRepository(Product).save({ name: 'widget', price: 1 })).rejects.toThrow();
      await expect(
        t.dataSource.createQueryBuilder().insert().into(Product).values({ name: 'qb', price: 1 }).execute(),
      ).rejects.toThrow();
      await expect(t.dataSource.query(`INSERT INTO products (name, price) VALUES ('raw', 1)`)).rejects.toThrow();
      expect(await count(t.dataSource, 'products')).toBe(0);
      expect(await count(t.dataSource, 'audit_logs_offline')).toBe(0);
    });
  });
});
