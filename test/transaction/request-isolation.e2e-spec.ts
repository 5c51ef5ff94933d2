import { Controller, Param, Post } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import type { Repository } from 'typeorm';
import { AuditService, TRANSACTION_ID_PATTERN } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { listen } from './http-transport';

const REQUESTS = 200;

@Controller('isolation')
class IsolationController {
  constructor(
    @InjectRepository(Product) private readonly products: Repository<Product>,
    private readonly audit: AuditService,
  ) {}

  /**
   * Awaits timers and database round trips between writes, so that the 200 requests interleave:
   * each continuation resumes while others are in flight, which is where a shared or leaked scope
   * would stamp one request's rows with another's ID.
   */
  @Post(':n')
  async write(@Param('n') n: string) {
    await sleep(Math.random() * 20);
    const product = await this.products.save(this.products.create({ name: `iso-${n}`, price: 1 }));
    await sleep(Math.random() * 20);
    // Inside a database transaction the rows wait for the commit; they must keep this request's ID.
    await this.products.manager.transaction(async (manager) => {
      await manager.update(Product, { id: product.id }, { stock: Number(n) + 1 });
      await sleep(Math.random() * 5);
    });
    return { transactionId: this.audit.getTransactionId() };
  }
}

describeEachDialect('request isolation', (dialect) => {
  let t: TestApp;
  let url: string;

  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      entities: [Product],
      audit: { dataAudit: { enabled: true } },
      controllers: [IsolationController],
      // A small pool makes requests queue for connections and resume in a different order.
      poolSize: 4,
    });
    url = `http://127.0.0.1:${await listen(t.app)}`;
  });
  afterAll(() => t?.close());

  it(`${REQUESTS} concurrent requests each stamp only their own ID on their rows`, async () => {
    // Even requests bring their own ID, odd ones get a generated one.
    const responses = await Promise.all(
      Array.from({ length: REQUESTS }, (_, n) => {
        const call = request(url).post(`/isolation/${n}`);
        return n % 2 === 0 ? call.set('X-Transaction-Id', `iso-${n}-${Math.random().toString(36).slice(2)}`) : call;
      }),
    );

    const idOfRequest = new Map<string, string>();
    responses.forEach((res, n) => {
      expect(res.status).toBe(201);
      expect(res.body.transactionId).toBe(res.headers['x-transaction-id']);
      if (n % 2 === 1) expect(res.headers['x-transaction-id']).toMatch(TRANSACTION_ID_PATTERN);
      idOfRequest.set(`iso-${n}`, res.headers['x-transaction-id']);
    });
    expect(new Set(idOfRequest.values()).size).toBe(REQUESTS);

    const rows = await t.audit.query({ entityType: 'products' });
    const nameOfEntity = new Map(
      rows.filter((row) => row.action === 'create').map((row) => [row.entityId, String(row.newValues?.name)]),
    );
    expect(rows.filter((row) => row.action === 'create')).toHaveLength(REQUESTS);
    expect(rows.filter((row) => row.action === 'update')).toHaveLength(REQUESTS);

    const crossTalk = rows.filter((row) => row.transactionId !== idOfRequest.get(nameOfEntity.get(row.entityId)!));
    expect(crossTalk).toEqual([]);
  });
});
