import type { Repository } from 'typeorm';
import type { DataLog } from 'nestjs-audit-trail';
import { Product, Session, StockLevel } from '../support/product.entity';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { databaseCapture } from './support';

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);

/** The stored row as old/new values: column names, dates as ISO text, decimals compared as numbers. */
function columnsOf(product: Product): Record<string, unknown> {
  return {
    id: product.id,
    name: product.name,
    price: Number(product.price),
    stock: product.stock,
    active: product.active,
    attributes: product.attributes,
    created_at: iso(product.createdAt),
    updated_at: iso(product.updatedAt),
    deleted_at: iso(product.deletedAt),
  };
}

const withNumericPrice = (values: Record<string, unknown> | null) =>
  values && 'price' in values ? { ...values, price: Number(values.price) } : values;

describeEachDialect('database capture: entity lifecycle', (dialect) => {
  let t: TestApp;
  let products: Repository<Product>;

  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      entities: [Product, StockLevel, Session],
      audit: databaseCapture({ excludeFields: ['secret_code'], excludeEntities: ['sessions'] }),
    });
    products = t.dataSource.getRepository(Product);
  });
  afterAll(() => t?.close());

  const rowsOf = async (entityId: string): Promise<DataLog[]> =>
    (await t.audit.query({ entityType: 'products', entityId })).reverse();

  it('records create, update, excluded-only update, soft remove, recover and remove from the triggers', async () => {
    const created = await products.save(
      products.create({
        name: 'Kopi',
        price: 12.5,
        stock: 3,
        active: true,
        attributes: { roast: 'dark' },
        secretCode: 's1',
      }),
    );
    const stored1 = await products.findOneByOrFail({ id: created.id });
    created.stock = 0;
    await products.save(created);
    const stored2 = await products.findOneByOrFail({ id: created.id });
    created.secretCode = 's2';
    await products.save(created);
    // The excluded-only save moved updated_at and recorded nothing (as in ORM mode); read what the soft delete found.
    const stored3 = await products.findOneByOrFail({ id: created.id });
    await products.softRemove(created);
    const softRemoved = await products.findOneOrFail({ where: { id: created.id }, withDeleted: true });
    await products.recover(created);
    const recovered = await products.findOneOrFail({ where: { id: created.id } });
    await products.remove({ ...recovered });

    const rows = await rowsOf(String(created.id));
    expect(rows.map((row) => row.action)).toEqual(['create', 'update', 'soft_delete', 'restore', 'delete']);
    for (const row of rows) {
      expect(row.entityType).toBe('products');
      expect(row.entityId).toBe(String(created.id));
      expect(JSON.stringify([row.oldValues, row.newValues])).not.toContain('secret_code');
      expect(row.userType).toBe('system');
      expect(row.transactionId).not.toMatch(/^db-/);
    }
    const [create, update, softDelete, restore, remove] = rows;
    expect(create.oldValues).toBeNull();
    expect(withNumericPrice(create.newValues)).toEqual(columnsOf(stored1));

    // Only the columns whose stored value changed: stock, and updated_at when the clock moved it.
    const moved = iso(stored1.updatedAt) !== iso(stored2.updatedAt);
    expect(update.oldValues).toEqual({ stock: 3, ...(moved ? { updated_at: iso(stored1.updatedAt) } : {}) });
    expect(update.newValues).toEqual({ stock: 0, ...(moved ? { updated_at: iso(stored2.updatedAt) } : {}) });

    expect(withNumericPrice(softDelete.oldValues)).toEqual(columnsOf(stored3));
    expect(softDelete.newValues).toMatchObject({ deleted_at: iso(softRemoved.deletedAt) });

    // restore carries the whole row before and the whole row after.
    expect(withNumericPrice(restore.oldValues)).toEqual(columnsOf(softRemoved));
    expect(withNumericPrice(restore.newValues)).toEqual(columnsOf(recovered));

    expect(withNumericPrice(remove.oldValues)).toEqual(columnsOf(recovered));
    expect(remove.newValues).toBeNull();
  });

  it('stores nothing for an update that changed nothing or only excluded fields', async () => {
    const product = await products.save(products.create({ name: 'Teh', price: 3, stock: 1, secretCode: 'a' }));
    await products.save(product);
    await products.save({ ...product, secretCode: 'b' });
    await products.update(product.id, { stock: 1 });
    expect((await rowsOf(String(product.id))).map((row) => row.action)).toEqual(['create']);
  });

  it('records QueryBuilder and repository bulk writes, one row per row changed, under one ID', async () => {
    const a = await products.save(products.create({ name: 'A', price: 1, stock: 5 }));
    const b = await products.save(products.create({ name: 'B', price: 2, stock: 6 }));
    await t.dataSource
      .createQueryBuilder()
      .update(Product)
      .set({ stock: 0 })
      .where('id IN (:...ids)', { ids: [a.id, b.id] })
      .execute();
    await products.increment({ id: a.id }, 'stock', 2);
    await products.softDelete(a.id);
    await products.restore(a.id);
    await t.dataSource.createQueryBuilder().delete().from(Product).where('id = :id', { id: b.id }).execute();

    const rowsA = await rowsOf(String(a.id));
    expect(rowsA.map((row) => row.action)).toEqual(['create', 'update', 'update', 'soft_delete', 'restore']);
    expect(rowsA[1].oldValues).toMatchObject({ stock: 5 });
    expect(rowsA[1].newValues).toMatchObject({ stock: 0 });
    expect(rowsA[2].newValues).toMatchObject({ stock: 2 });
    expect(rowsA[3].newValues!.deleted_at).not.toBeNull();
    expect(rowsA[4].newValues).toMatchObject({ deleted_at: null, stock: 2 });
    const rowsB = await rowsOf(String(b.id));
    expect(rowsB.map((row) => row.action)).toEqual(['create', 'update', 'delete']);
    expect(rowsB[2].oldValues).toMatchObject({ id: b.id, name: 'B', stock: 0 });
    expect(rowsA[1].transactionId).toBe(rowsB[1].transactionId);
  });

  it('keys a compound primary key as a JSON array and skips excluded entities entirely', async () => {
    const levels = t.dataSource.getRepository(StockLevel);
    await levels.save({ warehouse: 'JKT', sku: 'K-1', quantity: 5 });
    await levels.upsert([{ warehouse: 'JKT', sku: 'K-1', quantity: 4 }], ['warehouse', 'sku']);
    await t.dataSource.getRepository(Session).save({ token: 'abc' });
    const rows = (await t.audit.query({ entityType: 'stock_levels' })).reverse();
    expect(rows.map((row) => [row.action, row.entityId, row.oldValues, row.newValues])).toEqual([
      ['create', '["JKT","K-1"]', null, { warehouse: 'JKT', sku: 'K-1', quantity: 5 }],
      ['update', '["JKT","K-1"]', { quantity: 5 }, { quantity: 4 }],
    ]);
    expect(await t.audit.query({ entityType: 'sessions' })).toEqual([]);
  });
});
