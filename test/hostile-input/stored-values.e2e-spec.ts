import type { Repository } from 'typeorm';
import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { nested, unfold } from './deep-values';

// Where a JSON column's nesting is cut (README "Stored values"): the column's own value is level 1.
const STORED_DEPTH = 30;

describeEachDialect('hostile input: values every database can store', (dialect) => {
  let t: TestApp;
  let products: Repository<Product>;

  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      entities: [Product],
      audit: { dataAudit: { enabled: true }, apiAudit: { enabled: true, fetch: false } },
    });
    products = t.dataSource.getRepository(Product);
  });
  afterAll(() => t?.close());

  it('#3 records an update of a JSON column holding a 1,500-level document', async () => {
    const product = await products.save(products.create({ name: 'deep', price: 1, attributes: nested(1500, 1) }));
    product.attributes = nested(1500, 2);
    await products.save(product);

    const [update, create] = await t.audit.query({ entityType: 'products', entityId: String(product.id) });
    expect([update.action, create.action]).toEqual(['update', 'create']);
    // new_values is level 1, `attributes` level 2: the 30th level is the last one kept as JSON.
    expect(unfold(update.newValues!.attributes)).toEqual({ levels: 1500, textAt: STORED_DEPTH, leaf: 2 });
    expect(unfold(update.oldValues!.attributes)).toEqual({ levels: 1500, textAt: STORED_DEPTH, leaf: 1 });
    expect(unfold(create.newValues!.attributes)).toEqual({ levels: 1500, textAt: STORED_DEPTH, leaf: 1 });
  });

  it('#3 records a change of a 10,000-level document given to recordDataChange', async () => {
    const recorded = await t.audit.recordDataChange({
      entityType: 'documents',
      entityId: 'deep-10000',
      action: 'update',
      oldValues: { body: nested(10_000, 'old') },
      newValues: { body: nested(10_000, 'new') },
    });
    expect(recorded).toBe(true);
    const [row] = await t.audit.query({ entityType: 'documents', entityId: 'deep-10000' });
    expect(Object.keys(row.newValues!)).toEqual(['body']);
    expect(unfold(row.newValues!.body)).toEqual({ levels: 10_000, textAt: STORED_DEPTH, leaf: 'new' });
    expect(unfold(row.oldValues!.body)).toEqual({ levels: 10_000, textAt: STORED_DEPTH, leaf: 'old' });
  });

  it('#4 stores a lone surrogate in a column as U+FFFD, and the business write goes through', async () => {
    const product = await products.save(
      products.create({
        name: 'evil\ud800',
        price: 1,
        attributes: { note: 'x\udfffy', ['k\udc00']: 'pair \ud83d\ude00' },
      }),
    );
    const [row] = await t.audit.query({ entityType: 'products', entityId: String(product.id) });
    expect(row.action).toBe('create');
    // The driver already wrote the text column's half pair as U+FFFD (SQLite: one per byte of it).
    expect(row.newValues!.name).toMatch(/^evil\ufffd+$/);
    expect(row.newValues!.attributes).toEqual({ note: 'x\ufffdy', ['k\ufffd']: 'pair \ud83d\ude00' });
  });

  it('#4 stores lone surrogates given to recordDataChange as U+FFFD', async () => {
    await t.audit.recordDataChange({
      entityType: 'documents',
      entityId: 'surrogates',
      action: 'create',
      newValues: { text: 'evil\ud800', ['\udfffkey']: ['\udbff', 'ok \ud83d\ude00'] },
    });
    const [row] = await t.audit.query({ entityType: 'documents', entityId: 'surrogates' });
    expect(row.newValues).toEqual({ text: 'evil\ufffd', ['\ufffdkey']: ['\ufffd', 'ok \ud83d\ude00'] });
  });

  it('#4 stores lone surrogates in API bodies as U+FFFD', async () => {
    await t.audit.withTransactionId('surrogate-api', () =>
      t.audit.recordApiCall({
        service: 'evil',
        endpoint: '/v1/echo',
        method: 'POST',
        statusCode: 200,
        durationMs: 1,
        requestBody: 'evil\ud800',
        responseBody: { text: 'a\udc00b', list: ['\udbff'] },
      }),
    );
    const [row] = await t.audit.queryApiCalls({ transactionId: 'surrogate-api' });
    expect(row.requestBody).toBe('evil\ufffd');
    expect(row.responseBody).toEqual({ text: 'a\ufffdb', list: ['\ufffd'] });
  });

  it('#4 stores JSON nested deeper than MariaDB accepts (32 levels) with the deep part as JSON text', async () => {
    const product = await products.save(products.create({ name: 'deep40', price: 1, attributes: nested(40, 'leaf') }));
    const [row] = await t.audit.query({ entityType: 'products', entityId: String(product.id) });
    expect(unfold(row.newValues!.attributes)).toEqual({ levels: 40, textAt: STORED_DEPTH, leaf: 'leaf' });

    await t.audit.withTransactionId('deep-api', () =>
      t.audit.recordApiCall({
        service: 'deep',
        endpoint: '/v1/deep',
        method: 'POST',
        statusCode: 200,
        durationMs: 1,
        requestBody: nested(40, 1),
        responseBody: nested(1500, 2),
      }),
    );
    // Bodies may be cut shorter before they are stored (redaction bounds its walk); stored they are.
    const [api] = await t.audit.queryApiCalls({ transactionId: 'deep-api' });
    for (const body of [api.requestBody, api.responseBody]) {
      let [value, depth] = [body, 0];
      while (value !== null && typeof value === 'object') [value, depth] = [(value as { a: unknown }).a, depth + 1];
      expect(depth).toBeGreaterThan(0);
      expect(depth).toBeLessThanOrEqual(STORED_DEPTH);
    }
  });
});
