import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import type { DataSource, Repository } from 'typeorm';
import { REDACTED, TRANSACTION_ID_PATTERN, newTransactionId } from 'nestjs-audit-trail';
import type { ShopConfig } from '../../apps/shop/src/config/shop-config';
import { Order } from '../../apps/shop/src/orders/order.entity';
import { type GatewaySandbox, startGatewaySandbox } from '../../apps/shop/src/sandbox/gateway-sandbox';
import { createShop } from '../../apps/shop/src/shop';
import { describeEachDialect, testDatabase } from '../support/test-app';
import { toMs } from '../data-trail/fixtures/canonical-values';

const BCA_AUTHORIZATION = 'Bearer test-bca-key';
const JNE_AUTHORIZATION = 'Basic dGVzdDp0ZXN0LWpuZS1rZXk=';
const MERCHANT_ACCOUNT = '0611104625';

/** Rows as GET /audit/transactions/:id returns them (JSON: dates as ISO text). */
interface TrailJson {
  transactionId: string;
  dataLogs: Array<{
    entityType: string;
    entityId: string;
    action: string;
    oldValues: Record<string, unknown> | null;
    newValues: Record<string, unknown> | null;
    transactionId: string;
  }>;
  apiLogs: Array<{
    service: string;
    endpoint: string;
    method: string;
    statusCode: number;
    requestHeaders: Record<string, string> | null;
    requestBody: any;
    responseBody: any;
    durationMs: number;
    errorMessage: string | null;
    transactionId: string;
  }>;
}

const iso = (value: Date | string | null) => (value ? new Date(value).toISOString() : null);

/**
 * The updated_at pair of an update row: present only when the database clock moved it, which on
 * SQLite (second precision) it may not between two saves in the same second.
 */
function stamp(before: string | null, after: string | null): [Record<string, unknown>, Record<string, unknown>] {
  return before === after ? [{}, {}] : [{ updated_at: before }, { updated_at: after }];
}

describeEachDialect('shop: checkout leaves one correlated trail', (dialect) => {
  let sandbox: GatewaySandbox;
  let app: INestApplication;
  let orders: Repository<Order>;

  beforeAll(async () => {
    // Near-zero latency keeps the suite quick; the sandbox is otherwise the one `npm run demo` uses.
    sandbox = await startGatewaySandbox({ latency: { min: 0, max: 5 } });
    const config: ShopConfig = {
      // No entities here: the shop registers its own.
      database: await testDatabase(dialect, []),
      bca: { url: sandbox.bca.url, authorization: BCA_AUTHORIZATION, accountNumber: MERCHANT_ACCOUNT },
      jne: { url: sandbox.jne.url, authorization: JNE_AUTHORIZATION },
      gatewayTimeoutMs: 5000,
    };
    app = await createShop(config, false);
    orders = app.get<DataSource>(getDataSourceToken()).getRepository(Order);
  });

  afterAll(async () => {
    await app?.close();
    await sandbox?.close();
  });

  const checkout = (body: unknown, transactionId?: string) => {
    const call = request(app.getHttpServer())
      .post('/checkout')
      .send(body as object);
    return transactionId ? call.set('X-Transaction-Id', transactionId) : call;
  };

  async function trailOf(transactionId: string): Promise<TrailJson> {
    const response = await request(app.getHttpServer()).get(`/audit/transactions/${transactionId}`).expect(200);
    return response.body;
  }

  it('answers 201 with the shipped order, and the trail holds its three changes and two calls, exactly', async () => {
    const bcaCallsBefore = sandbox.bca.received.length;
    const response = await checkout({ customerId: 'cust-42', amount: 150000 }).expect(201);

    const transactionId = response.headers['x-transaction-id'];
    expect(transactionId).toMatch(TRANSACTION_ID_PATTERN);
    expect(response.body.transactionId).toBe(transactionId);
    const stored = await orders.findOneByOrFail({ id: response.body.order.id });
    expect(stored).toMatchObject({
      customerId: 'cust-42',
      amount: '150000.00',
      status: 'shipped',
      deletedAt: null,
    });
    expect(stored.paymentRef).toMatch(/^\d{16}$/);
    expect(stored.trackingNumber).toMatch(/^CGK\d{13}$/);
    expect(response.body.order).toMatchObject({
      id: stored.id,
      status: 'shipped',
      paymentRef: stored.paymentRef,
      trackingNumber: stored.trackingNumber,
    });
    const fetched = await request(app.getHttpServer()).get(`/orders/${stored.id}`).expect(200);
    expect(fetched.body).toMatchObject({ id: stored.id, status: 'shipped', amount: '150000.00' });

    const trail = await trailOf(transactionId);
    expect(trail.transactionId).toBe(transactionId);
    expect(trail.dataLogs.map((row) => [row.action, row.entityType, row.entityId])).toEqual([
      ['create', 'orders', String(stored.id)],
      ['update', 'orders', String(stored.id)],
      ['update', 'orders', String(stored.id)],
    ]);
    const [created, paid, shipped] = trail.dataLogs;
    // Both timestamps take the database's clock in the INSERT itself.
    const createdAt = iso(stored.createdAt);
    expect(created.oldValues).toBeNull();
    expect(toMs(created.newValues)).toEqual({
      id: stored.id,
      customer_id: 'cust-42',
      amount: '150000.00',
      status: 'pending',
      payment_ref: null,
      tracking_number: null,
      created_at: createdAt,
      updated_at: createdAt,
      deleted_at: null,
    });
    // updated_at as the first update left it: what the second one moved away from, if it moved.
    const paidAt = (toMs(shipped.oldValues)?.updated_at as string | undefined) ?? iso(stored.updatedAt);
    const [paidOld, paidNew] = stamp(createdAt, paidAt);
    expect(toMs(paid.oldValues)).toEqual({ payment_ref: null, status: 'pending', ...paidOld });
    expect(toMs(paid.newValues)).toEqual({ payment_ref: stored.paymentRef, status: 'paid', ...paidNew });
    const [shippedOld, shippedNew] = stamp(paidAt, iso(stored.updatedAt));
    expect(toMs(shipped.oldValues)).toEqual({ tracking_number: null, status: 'paid', ...shippedOld });
    expect(toMs(shipped.newValues)).toEqual({
      tracking_number: stored.trackingNumber,
      status: 'shipped',
      ...shippedNew,
    });

    expect(trail.apiLogs.map((row) => [row.method, row.service, row.endpoint, row.statusCode])).toEqual([
      ['POST', 'bca', '/v1/transfer', 200],
      ['POST', 'jne', '/v2/shipments', 201],
    ]);
    const [transfer, shipment] = trail.apiLogs;
    expect(transfer.errorMessage).toBeNull();
    expect(transfer.requestHeaders?.Authorization).toBe(REDACTED);
    expect(transfer.requestBody).toEqual({
      reference_id: `ORDER-${stored.id}`,
      amount: '150000.00',
      currency: 'IDR',
      source: { customer_id: 'cust-42' },
      beneficiary: { account_number: REDACTED, name: 'PT Toko Contoh' },
      remark: `ORDER-${stored.id}`,
    });
    expect(transfer.responseBody).toMatchObject({
      transaction_id: stored.paymentRef,
      reference_id: `ORDER-${stored.id}`,
      status: 'SUCCESS',
      beneficiary: { account_number: REDACTED, name: 'PT Toko Contoh' },
    });
    expect(shipment.errorMessage).toBeNull();
    expect(shipment.requestHeaders?.Authorization).toBe(REDACTED);
    expect(shipment.requestBody).toEqual({
      reference: `ORDER-${stored.id}`,
      service: 'REG',
      origin: 'CGK10000',
      receiver: { customer_id: 'cust-42' },
      goods: { description: 'Online order', value: '150000.00', weight_kg: 1 },
    });
    expect(shipment.responseBody).toMatchObject({ awb: stored.trackingNumber, status: 'BOOKED' });
    for (const row of trail.apiLogs) expect(row.durationMs).toEqual(expect.any(Number));
    expect(JSON.stringify(trail)).not.toMatch(new RegExp(`${MERCHANT_ACCOUNT}|test-bca-key|dGVzdDp0ZXN0`));
    expect([...trail.dataLogs, ...trail.apiLogs].every((row) => row.transactionId === transactionId)).toBe(true);

    // The gateways got the real credentials, the account number, and the transaction ID.
    const [bcaCall] = sandbox.bca.received.slice(bcaCallsBefore);
    expect(bcaCall.headers.authorization).toBe(BCA_AUTHORIZATION);
    expect(bcaCall.headers['x-transaction-id']).toBe(transactionId);
    expect(bcaCall.body.beneficiary.account_number).toBe(MERCHANT_ACCOUNT);
    expect(sandbox.jne.received.at(-1)?.headers.authorization).toBe(JNE_AUTHORIZATION);
  });

  it('answers 502 when the payment is declined, marks the order failed, and the trail is still complete', async () => {
    const jneCallsBefore = sandbox.jne.received.length;
    // The sandbox declines amounts ending in .13.
    const response = await checkout({ customerId: 'cust-43', amount: 99999.13 }).expect(502);

    const transactionId = response.headers['x-transaction-id'];
    expect(transactionId).toMatch(TRANSACTION_ID_PATTERN);
    expect(response.body).toMatchObject({
      statusCode: 502,
      transactionId,
      order: { status: 'failed', paymentRef: null, trackingNumber: null },
    });
    expect(response.body.message).toBe(
      `payment for order ${response.body.order.id} failed: bca answered 422: Insufficient balance`,
    );
    const stored = await orders.findOneByOrFail({ id: response.body.order.id });
    expect(stored).toMatchObject({ status: 'failed', amount: '99999.13', paymentRef: null, trackingNumber: null });
    expect(sandbox.jne.received.length).toBe(jneCallsBefore);

    const trail = await trailOf(transactionId);
    expect(trail.dataLogs.map((row) => [row.action, row.entityId])).toEqual([
      ['create', String(stored.id)],
      ['update', String(stored.id)],
    ]);
    const [created, failed] = trail.dataLogs;
    const createdAt = iso(stored.createdAt);
    expect(toMs(created.newValues)).toEqual({
      id: stored.id,
      customer_id: 'cust-43',
      amount: '99999.13',
      status: 'pending',
      payment_ref: null,
      tracking_number: null,
      created_at: createdAt,
      updated_at: createdAt,
      deleted_at: null,
    });
    const [failedOld, failedNew] = stamp(createdAt, iso(stored.updatedAt));
    expect(toMs(failed.oldValues)).toEqual({ status: 'pending', ...failedOld });
    expect(toMs(failed.newValues)).toEqual({ status: 'failed', ...failedNew });

    expect(trail.apiLogs).toHaveLength(1);
    expect(trail.apiLogs[0]).toMatchObject({
      service: 'bca',
      endpoint: '/v1/transfer',
      method: 'POST',
      statusCode: 422,
      errorMessage: 'Request failed with status code 422',
      requestHeaders: expect.objectContaining({ Authorization: REDACTED }),
      requestBody: expect.objectContaining({ amount: '99999.13', beneficiary: expect.any(Object) }),
      responseBody: {
        error_code: 'ESB-82-005',
        error_message: { english: 'Insufficient balance', indonesian: 'Saldo tidak cukup' },
      },
      transactionId,
    });
    expect(trail.apiLogs[0].requestBody.beneficiary.account_number).toBe(REDACTED);
    expect(trail.dataLogs.every((row) => row.transactionId === transactionId)).toBe(true);
  });

  it('answers 502 when shipping cannot be booked, leaving the order paid, with both calls in the trail', async () => {
    // The sandbox refuses goods values ending in .14.
    const response = await checkout({ customerId: 'cust-44', amount: '20000.14' }).expect(502);

    expect(response.body.order).toMatchObject({ status: 'paid', trackingNumber: null });
    expect(response.body.message).toContain('jne answered 422');
    const trail = await trailOf(response.headers['x-transaction-id']);
    expect(trail.dataLogs.map((row) => row.newValues?.status)).toEqual(['pending', 'paid']);
    expect(trail.apiLogs.map((row) => [row.service, row.statusCode])).toEqual([
      ['bca', 200],
      ['jne', 422],
    ]);
  });

  it("keeps the caller's own valid X-Transaction-Id, returns it, and stamps every row with it", async () => {
    const mine = newTransactionId();
    const response = await checkout({ customerId: 'cust-45', amount: 5000 }, mine).expect(201);

    expect(response.headers['x-transaction-id']).toBe(mine);
    expect(response.body.transactionId).toBe(mine);
    const trail = await trailOf(mine);
    expect(trail.dataLogs).toHaveLength(3);
    expect(trail.apiLogs).toHaveLength(2);
    expect([...trail.dataLogs, ...trail.apiLogs].map((row) => row.transactionId)).toEqual(Array(5).fill(mine));

    const tooLong = 'x'.repeat(101);
    const replaced = await checkout({ customerId: 'cust-45', amount: 5000 }, tooLong).expect(201);
    expect(replaced.headers['x-transaction-id']).toMatch(TRANSACTION_ID_PATTERN);
  });

  it('answers 400 for a bad body without writing an order or calling a gateway', async () => {
    const ordersBefore = await orders.count({ withDeleted: true });
    const bcaCallsBefore = sandbox.bca.received.length;

    const response = await checkout({ customerId: '', amount: -5 }).expect(400);
    expect(response.body.message).toEqual([
      'customerId must be a string of 1 to 64 letters, digits or _.:@-',
      expect.stringContaining('amount must be a positive number'),
    ]);
    await checkout({ customerId: 'cust-46', amount: 10.005 }).expect(400);
    await checkout({ customerId: 'cust-46', amount: '1e3' }).expect(400);
    await checkout([{ customerId: 'cust-46', amount: 10 }]).expect(400);

    expect(await orders.count({ withDeleted: true })).toBe(ordersBefore);
    expect(sandbox.bca.received.length).toBe(bcaCallsBefore);
  });

  it('answers 404 for an unknown order or transaction, and 400 for an unsafe transaction ID', async () => {
    await request(app.getHttpServer()).get('/orders/987654').expect(404);
    await request(app.getHttpServer()).get('/orders/99999999999999').expect(404);
    await request(app.getHttpServer()).get('/orders/abc').expect(400);
    await request(app.getHttpServer()).get(`/audit/transactions/${newTransactionId()}`).expect(404);
    await request(app.getHttpServer())
      .get(`/audit/transactions/${'x'.repeat(101)}`)
      .expect(400);
  });
});
