import { Controller, Param, Post } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import {
  CONTEXT_SETTING,
  CONTEXT_VARIABLES,
  SQLITE_CONTEXT_FUNCTION,
} from '../../libs/audit/src/store/triggers/trigger-dialect';
import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { listen } from '../transaction/http-transport';
import { databaseCapture } from './support';

const REQUESTS = 200;
const POOL = 4;

@Controller('work')
class WorkController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** One save (a transaction), one QueryBuilder update and one raw UPDATE (each outside any), interleaved by timers. */
  @Post(':n')
  async write(@Param('n') n: string) {
    await sleep(Math.random() * 10);
    const product = await this.dataSource.getRepository(Product).save({ name: `w-${n}`, price: 1 });
    await sleep(Math.random() * 10);
    await this.dataSource
      .createQueryBuilder()
      .update(Product)
      .set({ stock: Number(n) + 1 })
      .where('id = :id', { id: product.id })
      .execute();
    await sleep(Math.random() * 5);
    await this.dataSource.query(`UPDATE products SET stock = stock + 1000 WHERE id = ${Number(product.id)}`);
    return { id: product.id };
  }
}

/** What each pooled connection carries once the requests are done, read on all of them at once. */
async function contextOnEveryConnection(dataSource: DataSource, dialect: string): Promise<unknown[]> {
  const runners = Array.from({ length: dialect === 'sqlite' ? 1 : POOL }, () =>
    dataSource.driver.createQueryRunner('master'),
  );
  try {
    // Held together, the runners are necessarily the pool's distinct connections.
    await Promise.all(runners.map((runner) => runner.connect()));
    const sql =
      dialect === 'postgres'
        ? `SELECT current_setting('${CONTEXT_SETTING}', true) AS c`
        : dialect === 'mariadb'
          ? `SELECT COALESCE(${Object.values(CONTEXT_VARIABLES).join(', ')}) AS c`
          : `SELECT ${SQLITE_CONTEXT_FUNCTION}() AS c`;
    return await Promise.all(runners.map(async (runner) => (await runner.query(sql))[0].c));
  } finally {
    await Promise.all(runners.map((runner) => runner.release()));
  }
}

describeEachDialect('database capture: concurrent requests on a small pool', (dialect) => {
  let t: TestApp;
  let url: string;

  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      entities: [Product],
      audit: {
        ...databaseCapture(),
        userResolver: ({ request: req }) => {
          const user = (req as { headers?: Record<string, string> } | undefined)?.headers?.['x-user'];
          return user ? { id: user, type: 'customer' } : undefined;
        },
      },
      controllers: [WorkController],
      poolSize: POOL,
    });
    url = `http://127.0.0.1:${await listen(t.app)}`;
  });
  afterAll(() => t?.close());

  it(`${REQUESTS} requests: every row carries its own request's transaction ID and user, and no connection keeps a context`, async () => {
    const responses = await Promise.all(
      Array.from({ length: REQUESTS }, (_, n) =>
        request(url).post(`/work/${n}`).set('X-Transaction-Id', `req-${n}`).set('X-User', `user-${n}`),
      ),
    );
    expect(responses.map((response) => response.status).filter((status) => status !== 201)).toEqual([]);
    const requestOf = new Map(responses.map((response, n) => [String(response.body.id), n]));

    const rows = await t.audit.query({ entityType: 'products' });
    expect(rows).toHaveLength(REQUESTS * 3);
    const crossTalk = rows.filter((row) => {
      const n = requestOf.get(row.entityId);
      return row.transactionId !== `req-${n}` || row.userId !== `user-${n}` || row.userType !== 'customer';
    });
    expect(crossTalk).toEqual([]);
    for (let n = 0; n < REQUESTS; n += 1) {
      const own = rows.filter((row) => row.transactionId === `req-${n}`);
      expect(own.map((row) => row.action).sort()).toEqual(['create', 'update', 'update']);
    }

    expect(await contextOnEveryConnection(t.dataSource, dialect)).toEqual(
      Array.from({ length: dialect === 'sqlite' ? 1 : POOL }, () => (dialect === 'postgres' ? '' : null)),
    );
  });
});
