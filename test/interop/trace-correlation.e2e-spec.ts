import { Controller, Headers, Post } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import request from 'supertest';
import type { Repository } from 'typeorm';
import { Product } from '../support/product.entity';
import { type TestApp, createTestApp, describeEachDialect } from '../support/test-app';
import { type LoopbackServer, json, startLoopbackServer } from '../api-trail/loopback-server';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

let gateway: LoopbackServer;

@Controller('checkout')
class CheckoutController {
  constructor(@InjectRepository(Product) private readonly products: Repository<Product>) {}

  /** Saves a row and calls the gateway, passing the trace on as an instrumented client would. */
  @Post()
  async checkout(@Headers('traceparent') traceparent?: string): Promise<{ id: number }> {
    const product = await this.products.save(this.products.create({ name: 'Widget', price: 10 }));
    await fetch(`${gateway.url}/v1/transfer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(traceparent ? { traceparent } : {}) },
      body: JSON.stringify({ amount: 10 }),
    });
    return { id: product.id };
  }
}

describeEachDialect('interop: trace correlation and X-Request-Id', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    gateway = await startLoopbackServer({
      'POST /v1/transfer': (_request, response) => json(response, 200, { ok: 1 }),
    });
    t = await createTestApp({
      dialect,
      entities: [Product],
      controllers: [CheckoutController],
      audit: {
        dataAudit: { enabled: true },
        apiAudit: { enabled: true, services: { [gateway.url]: 'bca' } },
        transaction: { requestIdHeaders: ['X-Request-Id'] },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await gateway?.close();
  });

  it("puts a request's traceparent trace on its data and API rows, and sends traceparent on untouched", async () => {
    const response = await request(t.app.getHttpServer()).post('/checkout').set('traceparent', TRACEPARENT).expect(201);
    const transactionId = response.headers['x-transaction-id'];
    await t.audit.flushApiCalls();

    const trail = await t.audit.queryByTransaction(transactionId);
    expect(trail.dataLogs.map((log) => log.action)).toEqual(['create']);
    expect(trail.apiLogs.map((log) => log.service)).toEqual(['bca']);
    for (const log of [...trail.dataLogs, ...trail.apiLogs]) {
      expect(log.metadata).toMatchObject({ trace_id: TRACE_ID, span_id: SPAN_ID });
    }
    expect(gateway.received.at(-1)!.headers.traceparent).toBe(TRACEPARENT);
  });

  it('ignores a malformed traceparent rather than storing it', async () => {
    const response = await request(t.app.getHttpServer())
      .post('/checkout')
      .set('traceparent', `00-${'0'.repeat(32)}-${SPAN_ID}-01`)
      .expect(201);
    const [row] = (await t.audit.queryByTransaction(response.headers['x-transaction-id'])).dataLogs;
    expect(row.metadata).not.toHaveProperty('trace_id');
  });

  it('takes X-Request-Id as the transaction ID when X-Transaction-Id is absent, and answers with X-Transaction-Id', async () => {
    const response = await request(t.app.getHttpServer())
      .post('/checkout')
      .set('X-Request-Id', 'req-7f3a9')
      .expect(201);
    expect(response.headers['x-transaction-id']).toBe('req-7f3a9');
    await t.audit.flushApiCalls();
    const trail = await t.audit.queryByTransaction('req-7f3a9');
    expect([trail.dataLogs.length, trail.apiLogs.length]).toEqual([1, 1]);

    const both = await request(t.app.getHttpServer())
      .post('/checkout')
      .set('X-Request-Id', 'req-ignored')
      .set('X-Transaction-Id', 'tx-wins')
      .expect(201);
    expect(both.headers['x-transaction-id']).toBe('tx-wins');
    const unsafe = await request(t.app.getHttpServer())
      .post('/checkout')
      .set('X-Request-Id', 'bad id; drop')
      .expect(201);
    expect(unsafe.headers['x-transaction-id']).toMatch(/^\d{8}T\d{6}-[0-9a-f]{32}$/);
  });
});
