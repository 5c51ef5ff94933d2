import { setTimeout as sleep } from 'node:timers/promises';
import type { Repository } from 'typeorm';
import { TRANSACTION_ID_PATTERN } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';

describeEachDialect('transaction ID outside HTTP', (dialect) => {
  let t: TestApp;
  let products: Repository<Product>;

  beforeAll(async () => {
    t = await createTestApp({ dialect, entities: [Product], audit: { dataAudit: { enabled: true } } });
    products = t.dataSource.getRepository(Product);
  });
  afterAll(() => t?.close());

  async function idsOf(...names: string[]): Promise<string[]> {
    const rows = await t.audit.query({ entityType: 'products' });
    return names.flatMap((name) =>
      rows
        .filter((row) => row.newValues?.name === name)
        .reverse()
        .map((row) => row.transactionId),
    );
  }

  const product = (name: string) => products.create({ name, price: 1 });

  it('has no transaction ID outside any scope', () => {
    expect(t.audit.getTransactionId()).toBeUndefined();
  });

  it('withTransactionId groups every row of a background job under the given ID', async () => {
    const seen = await t.audit.withTransactionId('nightly-export-2026-04-18', async () => {
      await products.save(product('job-a'));
      await sleep(5);
      await Promise.all([products.save(product('job-b')), products.save(product('job-c'))]);
      await products.manager.transaction((manager) => manager.save(product('job-d')));
      return t.audit.getTransactionId();
    });

    expect(seen).toBe('nightly-export-2026-04-18');
    expect(await idsOf('job-a', 'job-b', 'job-c', 'job-d')).toEqual(Array(4).fill('nightly-export-2026-04-18'));
    expect(t.audit.getTransactionId()).toBeUndefined();
  });

  it('withTransactionId(undefined) runs the job under a fresh ID', async () => {
    const seen = await t.audit.withTransactionId(undefined, async () => {
      await products.save(product('fresh-a'));
      await products.save(product('fresh-b'));
      return t.audit.getTransactionId();
    });

    expect(seen).toMatch(TRANSACTION_ID_PATTERN);
    expect(await idsOf('fresh-a', 'fresh-b')).toEqual([seen, seen]);
  });

  it.each([
    ['300 characters', 'q'.repeat(300)],
    ['CR/LF', 'msg-1\r\nX-Evil: 1'],
    ['an empty string', ''],
  ])('replaces an unsafe ID taken from a message (%s) with a fresh one', async (_label, unsafe) => {
    const name = `unsafe-${_label}`;
    const seen = await t.audit.withTransactionId(unsafe, async () => {
      await products.save(product(name));
      return t.audit.getTransactionId();
    });

    expect(seen).toMatch(TRANSACTION_ID_PATTERN);
    expect(await idsOf(name)).toEqual([seen]);
  });

  it('a nested scope uses its own ID and hands the outer one back when it ends', async () => {
    await t.audit.withTransactionId('outer-job', async () => {
      await products.save(product('outer-before'));
      await t.audit.withTransactionId('inner-step', () => products.save(product('inner')));
      await products.save(product('outer-after'));
    });

    expect(await idsOf('outer-before', 'inner', 'outer-after')).toEqual(['outer-job', 'inner-step', 'outer-job']);
  });

  it('two jobs interleaving on timers keep their rows apart', async () => {
    const job = (id: string, prefix: string) =>
      t.audit.withTransactionId(id, async () => {
        for (let i = 0; i < 5; i++) {
          await sleep(Math.random() * 5);
          await products.save(product(`${prefix}-${i}`));
        }
      });
    await Promise.all([job('job-left', 'left'), job('job-right', 'right')]);

    const names = (prefix: string) => Array.from({ length: 5 }, (_, i) => `${prefix}-${i}`);
    expect(await idsOf(...names('left'))).toEqual(Array(5).fill('job-left'));
    expect(await idsOf(...names('right'))).toEqual(Array(5).fill('job-right'));
  });

  it('rows of one save([a, b, c]) outside any scope share one generated ID; the next call gets another', async () => {
    await products.save([product('batch-a'), product('batch-b'), product('batch-c')]);
    await products.save([product('batch-d'), product('batch-e')]);

    const [a, b, c, d, e] = await idsOf('batch-a', 'batch-b', 'batch-c', 'batch-d', 'batch-e');
    expect(a).toMatch(TRANSACTION_ID_PATTERN);
    expect([b, c]).toEqual([a, a]);
    expect(d).toMatch(TRANSACTION_ID_PATTERN);
    expect(e).toBe(d);
    expect(d).not.toBe(a);
  });

  it('rows written outside any scope are still written, with the system user and no request metadata', async () => {
    await products.save(product('unscoped'));

    const [row] = (await t.audit.query({ entityType: 'products' })).filter((r) => r.newValues?.name === 'unscoped');
    expect(row).toMatchObject({ action: 'create', userId: 'system', userType: 'system', metadata: null });
    expect(row.transactionId).toMatch(TRANSACTION_ID_PATTERN);
  });
});
