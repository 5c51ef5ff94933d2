import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { canonicalRow } from './fixtures/canonical-values';
import {
  NullOrder,
  NullOrderLine,
  SoftOrder,
  SoftOrderLine,
  TrailLabel,
  TrailOrder,
  TrailOrderLine,
} from './fixtures/trail-entities';
import { tableRow, trailOf } from './fixtures/trail-helpers';

// Issue 11, finding 2: foreign keys, orphans and join-table links are changes like any other.
describeEachDialect('data trail, finding 2: relations, orphans and join tables', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      entities: [TrailOrder, TrailOrderLine, TrailLabel, SoftOrder, SoftOrderLine, NullOrder, NullOrderLine],
      audit: { dataAudit: { enabled: true } },
    });
  });
  afterAll(() => t?.close());

  it('cascade-inserted lines are recorded with their foreign-key column, as stored', async () => {
    const orders = t.dataSource.getRepository(TrailOrder);
    const order = await orders.save({
      reference: 'cascade',
      lines: [
        { sku: 'x', qty: 1 },
        { sku: 'y', qty: 2 },
      ],
    });
    for (const line of order.lines) {
      const stored = await tableRow(t, 'trail_order_lines', line.id);
      expect(stored).toMatchObject({ orderId: order.id });
      const trail = await trailOf(t, 'trail_order_lines', line.id);
      expect(trail.map((row) => row.action)).toEqual(['create']);
      expect(trail[0].newValues).toMatchObject({ orderId: order.id });
      expect(canonicalRow(trail[0].newValues)).toEqual(canonicalRow(stored));
    }
  });

  /** An order saved with lines `keep` and `drop`, then saved again without `drop`: its orphan. */
  async function orphanOneLine(
    entity: typeof TrailOrder | typeof SoftOrder | typeof NullOrder,
    reference: string,
    lineTable: string,
  ) {
    type Order = { id: number; reference: string; lines: Array<{ id: number; sku: string; qty: number }> };
    const orders = t.dataSource.getRepository<Order>(entity);
    const order = await orders.save(
      orders.create({
        reference,
        lines: [
          { sku: 'keep', qty: 1 },
          { sku: 'drop', qty: 2 },
        ],
      }),
    );
    const dropped = order.lines.find((line) => line.sku === 'drop')!;
    const before = await tableRow(t, lineTable, dropped.id);
    order.lines = order.lines.filter((line) => line.sku === 'keep');
    await orders.save(order);
    return { order, dropped, before };
  }

  it("orphanedRowAction 'delete': the line save() deletes is recorded as delete with the row as it was", async () => {
    const { dropped, before } = await orphanOneLine(TrailOrder, 'orphan-delete', 'trail_order_lines');

    expect(await tableRow(t, 'trail_order_lines', dropped.id)).toBeUndefined();
    const trail = await trailOf(t, 'trail_order_lines', dropped.id);
    expect(trail.map((row) => row.action)).toEqual(['create', 'delete']);
    expect(canonicalRow(trail[1].oldValues)).toEqual(canonicalRow(before));
    expect(trail[1].newValues).toBeNull();
  });

  it("orphanedRowAction 'soft-delete': the orphan is recorded as soft_delete with the stored delete date", async () => {
    const { dropped } = await orphanOneLine(SoftOrder, 'orphan-soft', 'trail_soft_order_lines');

    const stored = await tableRow(t, 'trail_soft_order_lines', dropped.id);
    expect(stored?.deleted_at).not.toBeNull();
    const trail = await trailOf(t, 'trail_soft_order_lines', dropped.id);
    expect(trail.map((row) => row.action)).toEqual(['create', 'soft_delete']);
    expect(canonicalRow({ deleted_at: trail[1].newValues?.deleted_at })).toEqual(
      canonicalRow({ deleted_at: stored?.deleted_at }),
    );
    expect(await t.audit.snapshot('trail_soft_order_lines', dropped.id, new Date(Date.now() + 1000))).toEqual({
      exists: false,
      values: null,
    });
  });

  it("orphanedRowAction 'nullify': the orphan is recorded as an update of its foreign key to null", async () => {
    const { order, dropped } = await orphanOneLine(NullOrder, 'orphan-null', 'trail_null_order_lines');

    expect(await tableRow(t, 'trail_null_order_lines', dropped.id)).toMatchObject({ orderId: null });
    const trail = await trailOf(t, 'trail_null_order_lines', dropped.id);
    expect(trail.map((row) => row.action)).toEqual(['create', 'update']);
    expect(trail[1].oldValues).toEqual({ orderId: order.id });
    expect(trail[1].newValues).toEqual({ orderId: null });
  });

  it('many-to-many: a link added is a create and a link removed a delete of the join table, keyed [orderId,labelId], in the same transaction', async () => {
    const labels = await t.dataSource.getRepository(TrailLabel).save([{ name: 'red' }, { name: 'blue' }]);
    const [red, blue] = labels;
    const orders = t.dataSource.getRepository(TrailOrder);
    const order = await orders.save(orders.create({ reference: 'labelled', lines: [], labels: [red] }));

    const key = (labelId: number) => JSON.stringify([order.id, labelId]);
    let links = await trailOf(t, 'trail_order_labels');
    expect(links.map((row) => [row.action, row.entityId, row.oldValues, row.newValues])).toEqual([
      ['create', key(red.id), null, { orderId: order.id, labelId: red.id }],
    ]);

    // One save: the order's own column, one link added, one removed.
    order.reference = 'relabelled';
    order.labels = [blue];
    await orders.save(order);

    links = await trailOf(t, 'trail_order_labels');
    // The order of the two rows within the save is TypeORM's business; the set is not.
    const described = links.slice(1).map((row) => [row.action, row.entityId, row.oldValues, row.newValues]);
    expect(described.sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      ['create', key(blue.id), null, { orderId: order.id, labelId: blue.id }],
      ['delete', key(red.id), { orderId: order.id, labelId: red.id }, null],
    ]);
    const orderUpdate = (await trailOf(t, 'trail_orders', order.id)).at(-1)!;
    expect(orderUpdate.action).toBe('update');
    expect(links.slice(1).map((row) => row.transactionId)).toEqual([
      orderUpdate.transactionId,
      orderUpdate.transactionId,
    ]);

    const now = new Date(Date.now() + 1000);
    expect(await t.audit.snapshot('trail_order_labels', key(red.id), now)).toEqual({ exists: false, values: null });
    expect(await t.audit.snapshot('trail_order_labels', key(blue.id), now)).toEqual({
      exists: true,
      values: { orderId: order.id, labelId: blue.id },
    });
  });
});
