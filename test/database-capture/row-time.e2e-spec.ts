import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { databaseCapture } from './support';

const SAVES = 300;

/**
 * A trigger stamps its row with the database clock, and the trail keeps milliseconds. The stamp
 * must never be later than the moment the write returned to the application, or `snapshot(new Date())`
 * taken right after a write would not see it: the millisecond is cut, never rounded up.
 */
describeEachDialect('database capture: a row is never stamped later than its write returned', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ dialect, entities: [Product], audit: databaseCapture() });
  });
  afterAll(() => t?.close());

  it(`${SAVES} saves, each followed at once by snapshot(new Date())`, async () => {
    const late: string[] = [];
    const unseen: string[] = [];
    const repository = t.dataSource.getRepository(Product);
    for (let n = 0; n < SAVES; n += 1) {
      const product = await repository.save({ name: `p${n}`, price: 1 });
      const returned = new Date();
      const snapshot = await t.audit.snapshot('products', String(product.id), returned);
      if (!snapshot.exists) unseen.push(`#${product.id} at ${returned.toISOString()}`);
      const [row] = await t.audit.query({ entityType: 'products', entityId: String(product.id) });
      if (row.createdAt > returned)
        late.push(`#${product.id}: ${row.createdAt.toISOString()} > ${returned.toISOString()}`);
    }
    expect({ late, unseen }).toEqual({ late: [], unseen: [] });
  });
});
