import { Product, Session, StockLevel } from '../support/product.entity';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';

describeEachDialect('probe', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      entities: [Product, StockLevel, Session],
      audit: { dataAudit: { enabled: true, excludeFields: ['secret_code'], excludeEntities: ['sessions'] } },
    });
  });
  afterAll(() => t?.close());
  it('prints', async () => {
    const repo = t.dataSource.getRepository(Product);
    const p = await repo.save(
      repo.create({
        name: 'Kopi',
        price: 12.5,
        stock: 3,
        active: true,
        attributes: { roast: 'dark', tags: ['a'] },
        secretCode: 'x',
      }),
    );
    p.stock = 0;
    p.price = '12.50';
    await repo.save(p);
    p.secretCode = 'y';
    await repo.save(p);
    await repo.softRemove(p);
    await repo.recover(p);
    await repo.remove(p);
    await repo.update({ name: 'none' }, { stock: 1 });
    const q = await repo.save({ name: 'Teh', price: 3, stock: 1, active: false, attributes: null });
    await repo.update(q.id, { active: true, attributes: { x: 1 } });
    await repo.softDelete(q.id);
    await repo.restore(q.id);
    await repo.delete(q.id);
    await t.dataSource.getRepository(StockLevel).save({ warehouse: 'JKT', sku: 'K1', quantity: 5 });
    await t.dataSource.getRepository(Session).save({ token: 'abc' });
    const rows = await t.audit.query({});
    require('fs').appendFileSync(
      '/tmp/probe.jsonl',
      dialect +
        ' ' +
        JSON.stringify(
          rows
            .reverse()
            .map(({ id, action, entityType, entityId, oldValues, newValues, transactionId, userId }) => ({
              id,
              action,
              entityType,
              entityId,
              oldValues,
              newValues,
              transactionId,
              userId,
            })),
        ) +
        '\n',
    );
  });
});
