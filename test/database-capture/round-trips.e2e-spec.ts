import type { DataSource } from 'typeorm';
import { CONTEXT_VARIABLES, SILENCE_VARIABLE } from '../../libs/audit/src/store/triggers/trigger-dialect';
import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, dialectsUnderTest, type TestApp } from '../support/test-app';
import { databaseCapture } from './support';

/**
 * Every statement that reaches the database driver while `work` runs. PostgreSQL and MariaDB: the
 * query runner's own `query` (below the module's hooks, which call it); SQLite: the connection's `prepare`.
 */
async function statementsOf(dataSource: DataSource, work: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  if (dataSource.options.type === 'better-sqlite3') {
    const connection = (dataSource.driver as unknown as { databaseConnection: { prepare(sql: string): unknown } })
      .databaseConnection;
    const prepare = connection.prepare;
    connection.prepare = function (this: unknown, sql: string) {
      seen.push(sql);
      return prepare.call(this, sql);
    };
    try {
      await work();
    } finally {
      connection.prepare = prepare;
    }
    return seen;
  }
  const prototype = Object.getPrototypeOf(dataSource.driver.createQueryRunner('master')) as {
    query(this: unknown, sql: string, ...rest: unknown[]): Promise<unknown>;
  };
  const query = prototype.query;
  prototype.query = function (this: unknown, sql: string, ...rest: unknown[]) {
    seen.push(sql);
    return query.call(this, sql, ...rest);
  };
  try {
    await work();
  } finally {
    prototype.query = query;
  }
  return seen;
}

describeEachDialect('database capture: the context costs no round trip of its own', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ dialect, entities: [Product], audit: databaseCapture(), poolSize: 1 });
    // The first transaction on MariaDB reads the server's version once; the cases measure the ones after.
    await t.dataSource.getRepository(Product).save({ name: 'warm-up', price: 1 });
  });
  afterAll(() => t?.close());

  it('a save sends the statements it sends unaudited, the context riding in the first and cleared by the last', async () => {
    const statements = await statementsOf(t.dataSource, () =>
      t.dataSource.getRepository(Product).save({ name: 'one', price: 2 }),
    );
    if (dialect === 'sqlite') {
      // The triggers ask the connection's function for the context: no statement carries it.
      expect(statements.filter((statement) => /audit_trail|\bSET\b|ATTACH/i.test(statement))).toEqual([]);
      expect(statements.filter((statement) => /^INSERT INTO/.test(statement))).toHaveLength(1);
      return;
    }
    expect(statements).toHaveLength(3);
    expect(statements[1]).toMatch(/^INSERT INTO/);
    if (dialect === 'postgres') {
      expect(statements[0]).toMatch(/^START TRANSACTION; SELECT set_config\('audit_trail\.context', E'\{/);
      expect(statements[2]).toBe('COMMIT');
    } else if (dialect === 'mariadb') {
      const variables = Object.values(CONTEXT_VARIABLES);
      expect(statements[0]).toBe(
        `BEGIN NOT ATOMIC START TRANSACTION; SET ${variables.map((v) => `${v} = ?`).join(', ')}; END`,
      );
      expect(statements[2]).toBe(
        `BEGIN NOT ATOMIC COMMIT; SET ${[...variables, SILENCE_VARIABLE].map((v) => `${v} = NULL`).join(', ')}; END`,
      );
    }
    const [row] = await t.audit.query({ entityType: 'products', entityId: String((await lastProduct(t)).id) });
    expect(row).toMatchObject({ action: 'create', userType: 'system' });
  });

  it('a transaction that rolls back leaves no row and no context on its connection', async () => {
    const before = await t.audit.query({ entityType: 'products' });
    await expect(
      t.dataSource.transaction(async (manager) => {
        await manager.save(Product, { name: 'rolled back', price: 3 });
        throw new Error('business rule');
      }),
    ).rejects.toThrow('business rule');
    expect(await t.audit.query({ entityType: 'products' })).toHaveLength(before.length);
    if (dialect === 'mariadb') {
      // A pool of one: this is the connection the transaction ran on.
      const [held] = await t.dataSource.query(
        `SELECT ${Object.values(CONTEXT_VARIABLES)
          .map((variable, i) => `${variable} AS v${i}`)
          .join(', ')}`,
      );
      expect(held).toEqual({ v0: null, v1: null, v2: null, v3: null });
    }
  });
});

async function lastProduct(t: TestApp): Promise<Product> {
  const [product] = await t.dataSource.getRepository(Product).find({ order: { id: 'DESC' }, take: 1 });
  return product;
}

/**
 * MySQL has no anonymous compound statements: there the context is a `SET` after START TRANSACTION
 * and the clearing is queued on the connection as the transaction ends. Run on the MariaDB server,
 * made to answer `SELECT VERSION()` as a MySQL server would.
 */
(dialectsUnderTest().includes('mariadb') ? describe : describe.skip)(
  'database capture: the MySQL way, one SET per transaction and a queued clearing [mariadb]',
  () => {
    let t: TestApp;
    let prototype: { query(this: unknown, sql: string, ...rest: unknown[]): Promise<unknown> };
    let query: typeof prototype.query;
    const seen: string[] = [];

    beforeAll(async () => {
      t = await createTestApp({ dialect: 'mariadb', entities: [Product], audit: databaseCapture(), poolSize: 1 });
      // In place before the first transaction's runner is made, so the module reads this version.
      prototype = Object.getPrototypeOf(t.dataSource.driver.createQueryRunner('master'));
      query = prototype.query;
      prototype.query = function (this: unknown, sql: string, ...rest: unknown[]) {
        seen.push(sql);
        if (sql === 'SELECT VERSION() AS version') return Promise.resolve([{ version: '8.4.3' }]);
        return query.call(this, sql, ...rest);
      };
    });
    afterAll(async () => {
      if (prototype) prototype.query = query;
      await t?.close();
    });

    it('sets the context by a statement of its own, records the row, and leaves the connection clear', async () => {
      const variables = Object.values(CONTEXT_VARIABLES);
      const products = t.dataSource.getRepository(Product);
      for (const [n, version] of [
        [1, ['SELECT VERSION() AS version']],
        [2, []],
      ] as const) {
        seen.length = 0;
        const product = await products.save({ name: `mysql-${n}`, price: n });
        expect(seen.map((statement) => statement.split(' (')[0])).toEqual([
          ...version,
          'START TRANSACTION',
          `SET ${variables.map((v) => `${v} = ?`).join(', ')}`,
          expect.stringMatching(/^INSERT INTO `products`/),
          'COMMIT',
        ]);
        const [row] = await t.audit.query({ entityType: 'products', entityId: String(product.id) });
        expect(row).toMatchObject({ action: 'create', userType: 'system', userId: 'system' });
        // A pool of one: the connection the save ran on, its queued clearing done before this runs.
        const [held] = await t.dataSource.query(
          `SELECT ${[...variables, SILENCE_VARIABLE].map((variable, i) => `${variable} AS v${i}`).join(', ')}`,
        );
        expect(Object.values(held)).toEqual([null, null, null, null, null]);
      }
    });
  },
);
