import { HttpModule, HttpService } from '@nestjs/axios';
import { Controller, Inject, Injectable, Post } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { firstValueFrom } from 'rxjs';
import request from 'supertest';
import type { Repository } from 'typeorm';
import { Product } from '../support/product.entity';
import { type TestApp, createTestApp, describeEachDialect } from '../support/test-app';
import { type LoopbackServer, json, startLoopbackServer } from './loopback-server';

const GATEWAY_URL = Symbol('gateway-url');

/** Business code with no audit call in it: the rows come from the subscriber and the HttpService hook. */
@Injectable()
class CheckoutService {
  constructor(
    @InjectRepository(Product) private readonly products: Repository<Product>,
    private readonly http: HttpService,
    @Inject(GATEWAY_URL) private readonly gatewayUrl: string,
  ) {}

  async checkout(): Promise<{ id: number }> {
    const product = await this.products.save(this.products.create({ name: 'Kopi Luwak', price: 120, stock: 3 }));
    await firstValueFrom(this.http.post(`${this.gatewayUrl}/v1/transfer`, { amount: 120 }));
    product.stock = 2;
    await this.products.save(product);
    await fetch(`${this.gatewayUrl}/v2/shipments`, { method: 'POST', body: JSON.stringify({ id: product.id }) });
    return { id: product.id };
  }
}

@Controller('checkout')
class CheckoutController {
  constructor(private readonly checkout: CheckoutService) {}

  @Post()
  run() {
    return this.checkout.checkout();
  }
}

describeEachDialect('API trail transaction ID', (dialect) => {
  let gateway: LoopbackServer;
  let t: TestApp;

  beforeAll(async () => {
    gateway = await startLoopbackServer({
      'POST /v1/transfer': (_request, response) => json(response, 200, { reference: 'TRX-1' }),
      'POST /v2/shipments': (_request, response) => json(response, 201, { awb: 'JNE-1' }),
      'GET /ping': (_request, response) => json(response, 200, {}),
    });
    t = await createTestApp({
      dialect,
      entities: [Product],
      imports: [HttpModule],
      controllers: [CheckoutController],
      providers: [CheckoutService, { provide: GATEWAY_URL, useValue: gateway.url }],
      audit: {
        dataAudit: { enabled: true },
        apiAudit: { enabled: true, services: { [gateway.url]: 'bca' } },
      },
    });
  });

  afterAll(async () => {
    await t?.close();
    await gateway?.close();
  });

  it('sends the incoming request’s transaction ID downstream, and its API rows share it with its data rows', async () => {
    const transactionId = `checkout-${dialect}-0001`;
    const response = await request(t.app.getHttpServer())
      .post('/checkout')
      .set('X-Transaction-Id', transactionId)
      .expect(201);
    expect(response.headers['x-transaction-id']).toBe(transactionId);

    const outbound = gateway.received.filter((received) => received.url.startsWith('/v'));
    expect(outbound.map((received) => [received.url, received.headers['x-transaction-id']])).toEqual([
      ['/v1/transfer', transactionId],
      ['/v2/shipments', transactionId],
    ]);

    await t.audit.flushApiCalls();
    const trail = await t.audit.queryByTransaction(transactionId);
    expect(trail.dataLogs.map((row) => `${row.action} ${row.entityType}#${row.entityId}`)).toEqual([
      `create products#${response.body.id}`,
      `update products#${response.body.id}`,
    ]);
    expect(trail.apiLogs.map((row) => `${row.method} ${row.service} ${row.endpoint}`)).toEqual([
      'POST bca /v1/transfer',
      'POST bca /v2/shipments',
    ]);
    expect(
      trail.apiLogs.every(
        (row) => row.requestHeaders?.['X-Transaction-Id'] ?? row.requestHeaders?.['x-transaction-id'],
      ),
    ).toBe(true);
  });

  it('carries a scope opened by hand, keeps a header the caller set, and sends nothing outside a scope', async () => {
    const http = t.app.get(HttpService);
    await t.audit.withTransactionId('job-0042', async () => {
      await firstValueFrom(http.get(`${gateway.url}/ping`, { headers: { 'X-Probe': 'scoped' } }));
      await firstValueFrom(
        http.get(`${gateway.url}/ping`, { headers: { 'X-Probe': 'own-header', 'x-transaction-id': 'caller-chosen' } }),
      );
    });
    await firstValueFrom(http.get(`${gateway.url}/ping`, { headers: { 'X-Probe': 'unscoped' } }));

    const sent = (probe: string) => gateway.received.find((received) => received.headers['x-probe'] === probe)!;
    expect(sent('scoped').headers['x-transaction-id']).toBe('job-0042');
    expect(sent('own-header').headers['x-transaction-id']).toBe('caller-chosen');
    expect(sent('unscoped').headers['x-transaction-id']).toBeUndefined();

    await t.audit.flushApiCalls();
    // The row belongs to the scope the call was made in, whatever the caller put in the header.
    expect(await t.audit.queryApiCalls({ transactionId: 'job-0042' })).toHaveLength(2);
    const unscoped = (await t.audit.queryApiCalls({})).find((row) => row.requestHeaders?.['X-Probe'] === 'unscoped');
    expect(unscoped?.transactionId).toBe('');
  });
});

describeEachDialect('API trail with propagation off', (dialect) => {
  it('sends no transaction ID header', async () => {
    const gateway = await startLoopbackServer({ 'GET /ping': (_request, response) => json(response, 200, {}) });
    const t = await createTestApp({
      dialect,
      entities: [Product],
      imports: [HttpModule],
      audit: { apiAudit: { enabled: true, propagateHeader: false } },
    });
    try {
      await t.audit.withTransactionId('job-0043', async () => {
        await firstValueFrom(t.app.get(HttpService).get(`${gateway.url}/ping`));
        await fetch(`${gateway.url}/ping`);
      });
      expect(gateway.received.map((received) => received.headers['x-transaction-id'])).toEqual([undefined, undefined]);
      await t.audit.flushApiCalls();
      // Still recorded under the scope's ID.
      expect(await t.audit.queryApiCalls({ transactionId: 'job-0043' })).toHaveLength(2);
    } finally {
      await t.close();
      await gateway.close();
    }
  });
});
