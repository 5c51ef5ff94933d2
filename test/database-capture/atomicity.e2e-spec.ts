import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { count, databaseCapture } from './support';

describeEachDialect('database capture: atomic with the business write', (dialect) => {
  // The transaction cases (rollback, one ID, savepoints, pool) run in both capture modes in
  // test/data-trail/atomicity.e2e-spec.ts; this is what only database capture does.
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
