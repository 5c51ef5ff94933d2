import { setTimeout as sleep } from 'node:timers/promises';
import type { DataLog } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { Customer, Label, Order } from './relations.entities';
import { type OtherClient, count, databaseCapture, otherClient } from './support';

const DATABASE_USER = { postgres: 'postgres', mariadb: 'root', sqlite: 'sqlite' } as const;

describeEachDialect('database capture: writes ORM capture cannot see', (dialect) => {
  let t: TestApp;
  let other: OtherClient;

  beforeAll(async () => {
    t = await createTestApp({ dialect, entities: [Product, Customer, Order, Label], audit: databaseCapture() });
    other = await otherClient(t.dataSource);
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
  });

  const rows = async (entityType: string, entityId?: string): Promise<DataLog[]> =>
    (await t.audit.query({ entityType, entityId })).reverse();

  it('records raw SQL from a second connection with no context as the database user, one ID per statement', async () => {
    const products = t.dataSource.getRepository(Product);
    const [a, b] = await products.save([
      products.create({ name: 'raw-a', price: 1, stock: 1 }),
      products.create({ name: 'raw-b', price: 2, stock: 2 }),
    ]);
    await other.query(`UPDATE products SET stock = stock + 10 WHERE name LIKE 'raw-%'`);
    // SQLite's clock, the only per-statement value its triggers can read, ticks in milliseconds: two
    // statements of another client within one millisecond share an ID there (docs/database-capture.md).
    await sleep(2);
    await other.query(`DELETE FROM products WHERE name = 'raw-b'`);

    const updates = (await rows('products')).filter((row) => row.action === 'update');
    // MariaDB's updated_at has ON UPDATE CURRENT_TIMESTAMP, so it moves as well there.
    expect(updates.map((row) => [row.entityId, row.oldValues, row.newValues])).toEqual([
      [String(a.id), expect.objectContaining({ stock: 1 }), expect.objectContaining({ stock: 11 })],
      [String(b.id), expect.objectContaining({ stock: 2 }), expect.objectContaining({ stock: 12 })],
    ]);
    for (const row of updates) {
      expect(row.userType).toBe('database');
      expect(row.userId).toBe(DATABASE_USER[dialect]);
      expect(row.transactionId).toMatch(/^db-/);
      expect(row.metadata).toBeNull();
    }
    expect(updates[0].transactionId).toBe(updates[1].transactionId);
    const [deleted] = (await rows('products', String(b.id))).filter((row) => row.action === 'delete');
    expect(deleted.userType).toBe('database');
    expect(deleted.oldValues).toMatchObject({ name: 'raw-b', stock: 12 });
    expect(deleted.transactionId).toMatch(/^db-/);
    expect(deleted.transactionId).not.toBe(updates[0].transactionId);
  });

  it('records the app’s own raw SQL with the scope’s context, not as the database', async () => {
    await t.dataSource.query(
      `INSERT INTO products (name, price, stock, active) VALUES ('app-raw', 3, 1, ${dialect === 'postgres' ? 'true' : '1'})`,
    );
    const [created] = (await rows('products')).filter((row) => row.newValues?.name === 'app-raw');
    expect(created.action).toBe('create');
    expect(created.userType).toBe('system');
    expect(created.transactionId).not.toMatch(/^db-/);
  });

  it('records children deleted by ON DELETE CASCADE and nulled by ON DELETE SET NULL', async () => {
    const customers = t.dataSource.getRepository(Customer);
    const buyer = await customers.save({ name: 'buyer' });
    const referrer = await customers.save({ name: 'referrer' });
    const order = await t.dataSource
      .getRepository(Order)
      .save({ total: 10, customerId: buyer.id, referrerId: referrer.id });
    const other = await t.dataSource
      .getRepository(Order)
      .save({ total: 20, customerId: referrer.id, referrerId: null });

    await customers.delete(referrer.id);
    const orderRows = await rows('dc_orders', String(order.id));
    expect(orderRows.map((row) => row.action)).toEqual(['create', 'update']);
    expect(orderRows[1].oldValues).toEqual({ referrer_id: referrer.id });
    expect(orderRows[1].newValues).toEqual({ referrer_id: null });
    const otherRows = await rows('dc_orders', String(other.id));
    expect(otherRows.map((row) => row.action)).toEqual(['create', 'delete']);
    expect(otherRows[1].oldValues).toMatchObject({ id: other.id, total: 20, customer_id: referrer.id });

    await customers.delete(buyer.id);
    expect(await count(t.dataSource, 'dc_orders')).toBe(0);
    const cascaded = await rows('dc_orders', String(order.id));
    expect(cascaded.map((row) => row.action)).toEqual(['create', 'update', 'delete']);
    expect(cascaded[2].oldValues).toMatchObject({ id: order.id, total: 10, customer_id: buyer.id, referrer_id: null });
    // The cascade belongs to the statement that caused it.
    const [buyerDelete] = (await rows('dc_customers', String(buyer.id))).filter((row) => row.action === 'delete');
    expect(cascaded[2].transactionId).toBe(buyerDelete.transactionId);
  });

  it('records a many-to-many link and unlink as create/delete rows of the join table', async () => {
    const customer = await t.dataSource.getRepository(Customer).save({ name: 'labeller' });
    const label = await t.dataSource.getRepository(Label).save({ name: 'gift' });
    const order = await t.dataSource.getRepository(Order).save({ total: 5, customerId: customer.id });
    await t.dataSource.createQueryBuilder().relation(Order, 'labels').of(order.id).add(label.id);
    await t.dataSource.createQueryBuilder().relation(Order, 'labels').of(order.id).remove(label.id);
    const links = await rows('dc_order_labels', JSON.stringify([order.id, label.id]));
    expect(links.map((row) => [row.action, row.oldValues, row.newValues])).toEqual([
      ['create', null, { order_id: order.id, label_id: label.id }],
      ['delete', { order_id: order.id, label_id: label.id }, null],
    ]);
  });

  if (dialect === 'postgres') {
    it('records a TRUNCATE as one statement-level row', async () => {
      await other.query('TRUNCATE dc_order_labels');
      const [truncate] = await t.audit.query({ entityType: 'dc_order_labels', entityId: '*' });
      expect(truncate).toMatchObject({
        action: 'delete',
        entityId: '*',
        userType: 'database',
        metadata: { truncate: true },
      });
    });
  }
});
