import type { Repository } from 'typeorm';
import { type TransactionTrail, nextCursor } from 'nestjs-audit-trail';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { Order } from './order.entity';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The printout of a trail: one line per row, data rows first. */
const story = (trail: TransactionTrail) =>
  trail.timeline.map((item) =>
    item.kind === 'data'
      ? `[data] ${item.log.action} ${item.log.entityType}#${item.log.entityId}`
      : `[api] ${item.log.method} ${item.log.service} ${item.log.endpoint}`,
  );

describeEachDialect('history: the trail of one transaction', (dialect) => {
  let t: TestApp;
  let orders: Repository<Order>;

  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      entities: [Order],
      audit: { dataAudit: { enabled: true }, apiAudit: { enabled: true } },
    });
    orders = t.dataSource.getRepository(Order);
  });
  afterAll(() => t?.close());

  /** An outbound call as the API trail records it, stamped now under the transaction ID in scope. */
  const callGateway = (service: string, endpoint: string, durationMs: number) =>
    t.audit.recordApiCall({ service, endpoint, method: 'POST', statusCode: 200, durationMs });

  /** A five-step checkout; the pauses keep each step in a millisecond of its own. */
  async function checkout(): Promise<{ transactionId: string; order: Order }> {
    return t.audit.withTransactionId(undefined, async () => {
      const order = await orders.save(orders.create({ status: 'pending' }));
      await sleep(3);
      await callGateway('bca', '/v1/transfer', 842);
      await sleep(3);
      await orders.save({ ...order, paymentRef: 'PAY-1', status: 'paid' });
      await sleep(3);
      await callGateway('jne', '/v2/shipments', 430);
      await sleep(3);
      await orders.save({ ...order, paymentRef: 'PAY-1', trackingNumber: 'JNE-9', status: 'shipped' });
      return { transactionId: t.audit.getTransactionId()!, order };
    });
  }

  it('returns both trails in the order they happened, and the timeline interleaving them', async () => {
    const other = await checkout();
    const { transactionId, order } = await checkout();

    const trail = await t.audit.queryByTransaction(transactionId);

    expect(trail.transactionId).toBe(transactionId);
    expect(trail.dataLogs.map((log) => log.action)).toEqual(['create', 'update', 'update']);
    expect(trail.dataLogs.map((log) => log.newValues?.status)).toEqual(['pending', 'paid', 'shipped']);
    expect(trail.apiLogs.map((log) => log.service)).toEqual(['bca', 'jne']);
    expect([...trail.dataLogs, ...trail.apiLogs].every((log) => log.transactionId === transactionId)).toBe(true);
    expect(story(trail)).toEqual([
      `[data] create orders#${order.id}`,
      '[api] POST bca /v1/transfer',
      `[data] update orders#${order.id}`,
      '[api] POST jne /v2/shipments',
      `[data] update orders#${order.id}`,
    ]);
    expect(trail.apiLogs.map((log) => log.durationMs)).toEqual([842, 430]);
    expect((await t.audit.queryByTransaction(other.transactionId)).dataLogs[0].entityId).toBe(String(other.order.id));
  });

  it('knows nothing of an unknown ID, and refuses an empty one', async () => {
    await orders.save(orders.create({ status: 'outside any scope' }));

    expect(await t.audit.queryByTransaction('20260418T142318-00000000000000000000000000000000')).toEqual({
      transactionId: '20260418T142318-00000000000000000000000000000000',
      dataLogs: [],
      apiLogs: [],
      timeline: [],
    });
    await expect(t.audit.queryByTransaction('')).rejects.toThrow(/needs a transaction ID/);
    await expect(t.audit.queryByTransaction('   ')).rejects.toThrow(/needs a transaction ID/);
    await expect(t.audit.queryByTransaction(undefined as unknown as string)).rejects.toThrow(/needs a transaction ID/);
  });

  it('walks every data row once, newest first, with the beforeId cursor', async () => {
    for (let i = 0; i < 23; i++) {
      await t.audit.recordDataChange({ entityType: 'ledger', entityId: String(i), action: 'create', newValues: { i } });
      await t.audit.recordDataChange({ entityType: 'noise', entityId: String(i), action: 'create', newValues: { i } });
    }
    const everything = (await t.audit.query({ entityType: 'ledger' })).map((log) => log.id);

    const walked: number[] = [];
    let pages = 0;
    let beforeId: number | undefined;
    do {
      const page = await t.audit.query({ entityType: 'ledger', limit: 5, beforeId });
      walked.push(...page.map((log) => log.id));
      pages++;
      beforeId = nextCursor(page, 5);
    } while (beforeId !== undefined);

    expect(everything).toHaveLength(23);
    expect(walked).toEqual(everything);
    expect([...walked].sort((a, b) => b - a)).toEqual(walked);
    expect(pages).toBe(5);
    await expect(t.audit.query({ beforeId: Number.NaN })).rejects.toThrow(/beforeId must be the integer id/);
  });

  it('walks every API row once, newest first, with the beforeId cursor', async () => {
    for (let i = 0; i < 20; i++) {
      await t.audit.recordApiCall({
        service: i % 2 ? 'pager' : 'noise',
        endpoint: `/page/${i}`,
        method: 'GET',
        statusCode: 200,
        durationMs: 1,
      });
    }
    const everything = (await t.audit.queryApiCalls({ service: 'pager' })).map((log) => log.id);

    const walked: number[] = [];
    let beforeId: number | undefined;
    do {
      const page = await t.audit.queryApiCalls({ service: 'pager', limit: 4, beforeId });
      walked.push(...page.map((log) => log.id));
      beforeId = nextCursor(page, 4);
    } while (beforeId !== undefined);

    expect(everything).toHaveLength(10);
    expect(walked).toEqual(everything);
    expect(new Set(walked).size).toBe(walked.length);
  });
});

describeEachDialect('history: the trail of one transaction with the API trail off', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ dialect, entities: [Order], audit: { dataAudit: { enabled: true } } });
  });
  afterAll(() => t?.close());

  it('does not query the disabled trail (its table does not even exist)', async () => {
    const transactionId = await t.audit.withTransactionId(undefined, async () => {
      await t.dataSource.getRepository(Order).save({ status: 'pending' });
      return t.audit.getTransactionId()!;
    });

    const trail = await t.audit.queryByTransaction(transactionId);

    expect(trail.dataLogs.map((log) => log.action)).toEqual(['create']);
    expect(trail.apiLogs).toEqual([]);
    expect(trail.timeline.map((item) => item.kind)).toEqual(['data']);
  });
});
