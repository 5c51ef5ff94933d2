import type { Repository } from 'typeorm';
import type { DataLog } from 'nestjs-audit-trail';
import { Product, Session, StockLevel } from '../support/product.entity';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { toMs } from './fixtures/canonical-values';

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);

/** What a product row looks like in old/new values (docs/behaviour.md): column names, dates as ISO text. */
function columnsOf(product: Product): Record<string, unknown> {
  return {
    id: product.id,
    name: product.name,
    price: product.price,
    stock: product.stock,
    active: product.active,
    attributes: product.attributes,
    created_at: iso(product.createdAt),
    updated_at: iso(product.updatedAt),
    deleted_at: iso(product.deletedAt),
  };
}

/** The update_at pair, present only when the database clock moved it (second precision on some dialects). */
function updatedAtChange(before: Product, after: Product): [Record<string, unknown>, Record<string, unknown>] {
  return iso(before.updatedAt) === iso(after.updatedAt)
    ? [{}, {}]
    : [{ updated_at: iso(before.updatedAt) }, { updated_at: iso(after.updatedAt) }];
}

describeEachDialect('data trail: entity lifecycle', (dialect) => {
  let t: TestApp;
  let products: Repository<Product>;

  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      entities: [Product, StockLevel, Session],
      audit: { dataAudit: { enabled: true, excludeFields: ['secret_code'], excludeEntities: ['sessions'] } },
    });
    products = t.dataSource.getRepository(Product);
  });
  afterAll(() => t?.close());

  const rowsOf = async (entityId: string): Promise<DataLog[]> =>
    (await t.audit.query({ entityType: 'products', entityId })).reverse();

  it('records create, update, excluded-only update, soft remove, recover and remove as docs/behaviour.md says', async () => {
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
    const snapshot1 = { ...created };

    created.stock = 0;
    const updated = await products.save(created);
    const snapshot2 = { ...updated };

    updated.secretCode = 's2';
    await products.save(updated);

    await products.softRemove(updated);
    const softRemoved = await products.findOneOrFail({ where: { id: created.id }, withDeleted: true });
    await products.recover(updated);
    const recovered = await products.findOneOrFail({ where: { id: created.id } });
    await products.remove(recovered);

    const rows = await rowsOf(String(created.id));
    expect(rows.map((row) => row.action)).toEqual(['create', 'update', 'soft_delete', 'restore', 'delete']);
    for (const row of rows) {
      expect(row.entityType).toBe('products');
      expect(row.entityId).toBe(String(created.id));
      expect(JSON.stringify([row.oldValues, row.newValues])).not.toContain('secret_code');
    }

    const [create, update, softDelete, restore, remove] = rows;
    expect(create.oldValues).toBeNull();
    // The row as stored, read back: the decimal as the driver returns it ("12.50" on PostgreSQL and MariaDB).
    expect({ ...toMs(create.newValues), price: Number(create.newValues!.price) }).toEqual({
      ...columnsOf(snapshot1),
      price: 12.5,
    });

    const [oldStamp, newStamp] = updatedAtChange(snapshot1, snapshot2);
    expect(toMs(update.oldValues)).toEqual({ stock: 3, ...oldStamp });
    expect(toMs(update.newValues)).toEqual({ stock: 0, ...newStamp });

    // soft_delete: the whole row before, the fields that moved after.
    expect(toMs(softDelete.oldValues)).toMatchObject({
      id: created.id,
      name: 'Kopi',
      stock: 0,
      active: true,
      deleted_at: null,
    });
    expect(Number(softDelete.oldValues!.price)).toBe(12.5);
    expect(toMs(softDelete.newValues)).toMatchObject({ deleted_at: iso(softRemoved.deletedAt) });
    expect(Object.keys(softDelete.newValues!).sort()).toEqual(
      Object.keys(softDelete.newValues!).includes('updated_at') ? ['deleted_at', 'updated_at'] : ['deleted_at'],
    );

    expect(toMs(restore.oldValues)).toMatchObject({ id: created.id, deleted_at: iso(softRemoved.deletedAt) });
    expect(toMs(restore.newValues)).toMatchObject({ deleted_at: null });

    expect(toMs(remove.oldValues)).toMatchObject({ id: created.id, name: 'Kopi', stock: 0, deleted_at: null });
    expect(toMs(remove.oldValues)!.updated_at).toBe(iso(recovered.updatedAt));
    expect(remove.newValues).toBeNull();
  });

  it('stores nothing for an update that changed nothing or only excluded fields', async () => {
    const product = await products.save(products.create({ name: 'Teh', price: 3, stock: 1, secretCode: 'a' }));
    await products.save(product);
    await products.save({ ...product, secretCode: 'b' });
    // Numeric text equal to the stored number is no change. (A 1 for a boolean is not used here: TypeORM
    // writes it as false on SQLite, a real change the trail records.)
    await products.save({ id: product.id, price: '3.00', active: true });
    expect((await rowsOf(String(product.id))).map((row) => row.action)).toEqual(['create']);
  });

  it('compares values by value across drivers: numeric text, 0/1 booleans, JSON deeply, dates by instant', async () => {
    const product = await products.save(
      products.create({ name: 'Gula', price: 7.25, stock: 2, active: false, attributes: { a: 1, b: [1, 2] } }),
    );
    const loaded = await products.findOneByOrFail({ id: product.id });
    loaded.price = 7.25;
    loaded.attributes = { b: [1, 2], a: 1 };
    loaded.createdAt = new Date(loaded.createdAt.getTime());
    await products.save(loaded);
    expect((await rowsOf(String(product.id))).map((row) => row.action)).toEqual(['create']);

    loaded.attributes = { a: 1, b: [1, 2, 3] };
    await products.save(loaded);
    const rows = await rowsOf(String(product.id));
    expect(rows.map((row) => row.action)).toEqual(['create', 'update']);
    // A whole JSON column appears when anything inside it changed.
    expect(rows[1].oldValues).toMatchObject({ attributes: { a: 1, b: [1, 2] } });
    expect(rows[1].newValues).toMatchObject({ attributes: { a: 1, b: [1, 2, 3] } });
  });

  it('records repository.update / delete / softDelete / restore by primary key, one row per entity', async () => {
    const a = await products.save(products.create({ name: 'A', price: 1, stock: 5 }));
    const b = await products.save(products.create({ name: 'B', price: 2, stock: 6 }));
    await products.update([a.id, b.id], { stock: 0 });
    await products.increment({ id: a.id }, 'stock', 2);
    await products.softDelete(a.id);
    await products.restore(a.id);
    await products.delete({ id: b.id });

    const rowsA = await rowsOf(String(a.id));
    expect(rowsA.map((row) => row.action)).toEqual(['create', 'update', 'update', 'soft_delete', 'restore']);
    expect(rowsA[1].oldValues).toMatchObject({ stock: 5 });
    expect(rowsA[1].newValues).toMatchObject({ stock: 0 });
    expect(rowsA[2].oldValues).toMatchObject({ stock: 0 });
    expect(rowsA[2].newValues).toMatchObject({ stock: 2 });
    expect(rowsA[3].newValues).toHaveProperty('deleted_at');
    expect(rowsA[3].newValues!.deleted_at).not.toBeNull();
    expect(rowsA[4].newValues).toMatchObject({ deleted_at: null });

    const rowsB = await rowsOf(String(b.id));
    expect(rowsB.map((row) => row.action)).toEqual(['create', 'update', 'delete']);
    expect(rowsB[2].oldValues).toMatchObject({ id: b.id, name: 'B', stock: 0 });
    expect(rowsB[2].newValues).toBeNull();
    // update() through the query builder shares one transaction, so one ID groups both rows.
    expect(rowsA[1].transactionId).toBe(rowsB[1].transactionId);
  });

  it('records a bulk update over more rows than one post-image read takes: one row per entity', async () => {
    const names = Array.from({ length: 620 }, (_, i) => ({ name: `bulk-${i}`, price: 1, stock: 7 }));
    await products.insert(names);
    await products.update({ stock: 7 }, { stock: 8 });
    const rows = await t.audit.query({ entityType: 'products', action: 'update', from: new Date(Date.now() - 60_000) });
    const bulk = rows.filter((row) => row.newValues?.stock === 8);
    expect(bulk).toHaveLength(620);
    expect(new Set(bulk.map((row) => row.entityId)).size).toBe(620);
    expect(bulk.every((row) => row.oldValues?.stock === 7)).toBe(true);
  });

  it('records an upsert as create for a new row and update for an existing one', async () => {
    const levels = t.dataSource.getRepository(StockLevel);
    await levels.save({ warehouse: 'SBY', sku: 'U-1', quantity: 1 });
    await levels.upsert(
      [
        { warehouse: 'SBY', sku: 'U-1', quantity: 4 },
        { warehouse: 'SBY', sku: 'U-2', quantity: 7 },
      ],
      ['warehouse', 'sku'],
    );
    const rows = (await t.audit.query({ entityType: 'stock_levels' })).filter((row) => row.entityId.includes('"U-'));
    expect(rows.reverse().map((row) => [row.action, row.entityId, row.oldValues, row.newValues])).toEqual([
      ['create', '["SBY","U-1"]', null, { warehouse: 'SBY', sku: 'U-1', quantity: 1 }],
      ['update', '["SBY","U-1"]', { quantity: 1 }, { quantity: 4 }],
      ['create', '["SBY","U-2"]', null, { warehouse: 'SBY', sku: 'U-2', quantity: 7 }],
    ]);
  });

  it('keys a compound primary key as a JSON array and skips excluded entities entirely', async () => {
    await t.dataSource.getRepository(StockLevel).save({ warehouse: 'JKT', sku: 'K-1', quantity: 5 });
    await t.dataSource.getRepository(Session).save({ token: 'abc' });
    const rows = (await t.audit.query({ entityType: 'stock_levels' })).filter((row) => row.entityId.includes('JKT'));
    expect(rows).toHaveLength(1);
    expect(rows[0].entityId).toBe('["JKT","K-1"]');
    expect(rows[0].newValues).toEqual({ warehouse: 'JKT', sku: 'K-1', quantity: 5 });
    expect(await t.audit.query({ entityType: 'sessions' })).toEqual([]);
  });

  it('filters with AND, inclusive dates, newest first, and limit/offset only when positive', async () => {
    const all = await t.audit.query({ entityType: 'products' });
    expect(all.map((row) => row.id)).toEqual([...all.map((row) => row.id)].sort((x, y) => y - x));
    const updates = await t.audit.query({ entityType: 'products', action: 'update' });
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.every((row) => row.action === 'update')).toBe(true);
    const oldest = all[all.length - 1];
    expect((await t.audit.query({ from: oldest.createdAt, to: oldest.createdAt })).map((r) => r.id)).toContain(
      oldest.id,
    );
    expect(await t.audit.query({ entityType: 'products', limit: 2, offset: 1 })).toEqual(all.slice(1, 3));
    expect(await t.audit.query({ limit: 0, offset: 0, entityType: 'products' })).toEqual(all);
    expect(await t.audit.query({ userId: 'nobody' })).toEqual([]);
  });
});
