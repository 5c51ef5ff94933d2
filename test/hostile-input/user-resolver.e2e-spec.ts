import { Controller, Logger, Post, Req } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import request from 'supertest';
import type { Repository } from 'typeorm';
import type { AuditOnError, AuditUser } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';

/** What the resolver under test does on its next call. */
let resolve: () => AuditUser | undefined = () => undefined;

@Controller()
class ProductsController {
  constructor(@InjectRepository(Product) private readonly products: Repository<Product>) {}

  /** A guard would set `req.user`; the handler stands in for it with the user the test sends. */
  @Post('products')
  async create(@Req() req: { user?: unknown; body: { name: string; user: unknown } }) {
    req.user = req.body.user;
    return this.products.save(this.products.create({ name: req.body.name, price: 1 }));
  }
}

describeEachDialect('hostile input: users', (dialect) => {
  const apps: Partial<Record<AuditOnError, TestApp>> = {};
  let errors: jest.SpyInstance;

  beforeAll(async () => {
    for (const onError of ['fail-silent', 'fail-loud'] as const) {
      apps[onError] = await createTestApp({
        dialect,
        entities: [Product],
        controllers: [ProductsController],
        audit: { dataAudit: { enabled: true, onError }, userResolver: () => resolve() },
      });
    }
  });
  afterAll(async () => {
    for (const app of Object.values(apps)) await app?.close();
  });
  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    errors.mockRestore();
    resolve = () => undefined;
  });

  const rowOf = async (t: TestApp, product: Product) =>
    (await t.audit.query({ entityType: 'products', entityId: String(product.id) }))[0];

  it('#17 a throwing userResolver under fail-silent: the write goes on, attributed to system, logged', async () => {
    const t = apps['fail-silent']!;
    resolve = () => {
      throw new Error('session store down');
    };
    const product = await t.dataSource.getRepository(Product).save({ name: 'silent', price: 1 });
    expect(await rowOf(t, product)).toMatchObject({ action: 'create', userId: 'system', userType: 'system' });
    expect(errors.mock.calls.flat().join(' ')).toMatch(/userResolver threw \(session store down\)/);
  });

  it('#17 a throwing userResolver under fail-loud: the error reaches the caller, nothing is written', async () => {
    const t = apps['fail-loud']!;
    resolve = () => {
      throw new Error('session store down');
    };
    await expect(t.dataSource.getRepository(Product).save({ name: 'loud', price: 1 })).rejects.toThrow(
      'session store down',
    );
    expect(await t.dataSource.getRepository(Product).countBy({ name: 'loud' })).toBe(0);
  });

  it('#17 a userResolver returning a Promise is an error with a clear message, not a silent system', async () => {
    resolve = () => Promise.resolve({ id: 'late', type: 'user' }) as never;
    const silent = apps['fail-silent']!;
    const product = await silent.dataSource.getRepository(Product).save({ name: 'promise', price: 1 });
    expect(await rowOf(silent, product)).toMatchObject({ userId: 'system' });
    expect(errors.mock.calls.flat().join(' ')).toMatch(/userResolver returned a Promise/);

    const loud = apps['fail-loud']!;
    await expect(loud.dataSource.getRepository(Product).save({ name: 'promise', price: 1 })).rejects.toThrow(
      /userResolver returned a Promise: it must return \{ id, type \} synchronously/,
    );
  });
});

describeEachDialect('hostile input: the default user', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      entities: [Product],
      controllers: [ProductsController],
      audit: { dataAudit: { enabled: true } },
    });
  });
  afterAll(() => t?.close());

  it.each<[string, unknown, string]>([
    ['an empty id falls back to sub', { id: '', sub: 's' }, 's'],
    ['a null id falls back to sub', { id: null, sub: 'auth0|7' }, 'auth0|7'],
    ['a numeric id', { id: 42 }, '42'],
    ['no id and no sub', { name: 'x' }, 'system'],
  ])('#17 %s', async (_case, user, expected) => {
    const response = await request(t.app.getHttpServer()).post('/products').send({ name: 'who', user }).expect(201);
    const [row] = await t.audit.query({ entityType: 'products', entityId: String(response.body.id) });
    expect(row.userId).toBe(expected);
  });
});
