import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { databaseCapture } from './support';

/**
 * In database mode the triggers write the tables' rows, but the module still writes some itself:
 * `recordDataChange` with a transactional manager and applyRestore's `restore` row. Those wait for
 * the transaction's COMMIT and go with its ROLLBACK, as in ORM mode; and the write applyRestore
 * makes is left to its `restore` row only for as long as it runs.
 */
describeEachDialect('database capture: the rows the module writes itself', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ dialect, entities: [Product], audit: databaseCapture() });
  });
  afterAll(() => t?.close());

  const actionsOf = async (entityType: string, id: string) =>
    (await t.audit.query({ entityType, entityId: id })).reverse().map((row) => row.action);

  it('recordDataChange inside a transaction is written at its COMMIT, beside the triggers’ rows', async () => {
    const id = await t.dataSource.transaction(async (manager) => {
      const product = await manager.save(Product, { name: 'boxed', price: 5 });
      await t.audit.recordDataChange(
        { entityType: 'shipments', entityId: `s-${product.id}`, action: 'create', newValues: { box: product.id } },
        manager,
      );
      return product.id;
    });
    expect(await actionsOf('products', String(id))).toEqual(['create']);
    expect(await actionsOf('shipments', `s-${id}`)).toEqual(['create']);
  });

  it('recordDataChange inside a transaction that rolls back leaves no row', async () => {
    await expect(
      t.dataSource.transaction(async (manager) => {
        await t.audit.recordDataChange(
          { entityType: 'shipments', entityId: 'never', action: 'create', newValues: { box: 0 } },
          manager,
        );
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await actionsOf('shipments', 'never')).toEqual([]);
  });

  it('applyRestore’s write gives one restore row; the next write of that entity in the same transaction is recorded again', async () => {
    const products = t.dataSource.getRepository(Product);
    const product = await products.save({ name: 'lamp', price: 10 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const cheap = new Date();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await products.update(product.id, { price: 99 });

    await t.dataSource.transaction(async (manager) => {
      await t.audit.applyRestore(manager, Product, String(product.id), cheap);
      await manager.update(Product, product.id, { stock: 3 });
    });
    expect(await actionsOf('products', String(product.id))).toEqual(['create', 'update', 'restore', 'update']);
    const stored = await products.findOneByOrFail({ id: product.id });
    expect(Number(stored.price)).toBe(10);
    expect(stored.stock).toBe(3);
    const snapshot = await t.audit.snapshot('products', String(product.id), new Date());
    expect(snapshot.values).toMatchObject({ price: expect.anything(), stock: 3 });
    expect(Number(snapshot.values!.price)).toBe(10);
  });
});
