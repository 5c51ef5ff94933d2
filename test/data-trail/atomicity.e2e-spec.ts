import { Logger } from '@nestjs/common';
import type { AuditOnError, DataAuditOptions } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';

const count = async (t: TestApp, table: string): Promise<number> => {
  const rows = await t.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(rows[0].n);
};

const CAPTURES = ['orm', 'database'] as const;
const capturing = (capture: (typeof CAPTURES)[number]) => ({ enabled: true, capture }) as DataAuditOptions;

describeEachDialect('data trail: atomic with the business write', (dialect) => {
  // The same cases with the triggers writing the rows (database capture).
  describe.each(CAPTURES)('transactions, %s capture', (capture) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ dialect, entities: [Product], audit: { dataAudit: capturing(capture) } });
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
      expect(await count(t, 'products')).toBe(0);
      expect(await count(t, 'audit_logs')).toBe(0);
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
        await manager
          .transaction(async (inner) => {
            await inner.update(Product, kept.id, { stock: 9 });
          })
          .catch(() => undefined);
      });
      const names = (await t.audit.query({ from: new Date(Date.now() - 60_000) }))
        .map(
          (row) => `${row.action}:${(row.newValues as { name?: string; stock?: number }).name ?? row.newValues?.stock}`,
        )
        .reverse();
      expect(names).toEqual(expect.arrayContaining(['create:kept', 'update:9']));
      expect(names.join()).not.toContain('dropped');
      expect(await count(t, 'products')).toBe(3);
    });
  });

  describe.each<AuditOnError>(['fail-loud', 'fail-silent'])(
    'an audit table that cannot be written, onError %s',
    (onError) => {
      let t: TestApp;
      beforeAll(async () => {
        t = await createTestApp({ dialect, entities: [Product], audit: { dataAudit: { enabled: true, onError } } });
        await t.dataSource.query('ALTER TABLE audit_logs RENAME TO audit_logs_offline');
      });
      afterAll(() => t?.close());

      it(onError === 'fail-loud' ? 'rolls the business write back' : 'keeps the business write and logs', async () => {
        const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
        const save = t.dataSource.getRepository(Product).save({ name: 'widget', price: 1 });
        const update = async () => {
          await save;
          await t.dataSource.getRepository(Product).update({ name: 'widget' }, { stock: 3 });
        };
        if (onError === 'fail-loud') {
          await expect(save).rejects.toThrow();
          expect(await count(t, 'products')).toBe(0);
          expect(logged).not.toHaveBeenCalled();
        } else {
          await update();
          const rows = await t.dataSource.query('SELECT name, stock FROM products');
          expect(rows).toEqual([{ name: 'widget', stock: 3 }]);
          expect(logged).toHaveBeenCalledTimes(2);
          expect(String(logged.mock.calls[0][0])).toContain('data trail: 1 row(s) not written');
        }
        expect(await count(t, 'audit_logs_offline')).toBe(0);
        logged.mockRestore();
      });
    },
  );

  if (dialect !== 'sqlite') {
    describe.each(CAPTURES)('connection pool, %s capture', (capture) => {
      let t: TestApp;
      beforeAll(async () => {
        t = await createTestApp({
          dialect,
          entities: [Product],
          poolSize: 2,
          audit: { dataAudit: capturing(capture) },
        });
      });
      afterAll(() => t?.close());

      it('with a pool of 2, 20 concurrent audited saves all finish and leave 20 rows', async () => {
        const repository = t.dataSource.getRepository(Product);
        await Promise.all(Array.from({ length: 20 }, (_, i) => repository.save({ name: `p${i}`, price: i })));
        expect(await count(t, 'products')).toBe(20);
        const rows = await t.audit.query({ action: 'create' });
        expect(rows).toHaveLength(20);
        expect(new Set(rows.map((row) => row.entityId)).size).toBe(20);
      });
    });

    describe.each(CAPTURES)('no extra connection, %s capture', (capture) => {
      let t: TestApp;
      beforeAll(async () => {
        t = await createTestApp({
          dialect,
          entities: [Product],
          poolSize: 1,
          audit: { dataAudit: capturing(capture) },
        });
      });
      afterAll(() => t?.close());

      it('with a pool of 1, audited saves and bulk updates complete (the audit write uses the caller’s connection)', async () => {
        const repository = t.dataSource.getRepository(Product);
        await Promise.all(Array.from({ length: 5 }, (_, i) => repository.save({ name: `q${i}`, price: i })));
        await repository.update({ name: 'q1' }, { stock: 4 });
        expect(await t.audit.query({})).toHaveLength(6);
      });
    });
  }
});
