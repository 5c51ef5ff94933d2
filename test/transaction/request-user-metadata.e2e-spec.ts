import {
  Body,
  type CanActivate,
  Controller,
  type ExecutionContext,
  Injectable,
  Param,
  ParseIntPipe,
  Patch,
  Post,
  UseGuards,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import request from 'supertest';
import type { Repository } from 'typeorm';
import type { AuditModuleOptions, DataLog } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { ADAPTERS } from './http-transport';

/** Stands in for a JWT guard: `Authorization: Bearer <id>` becomes `request.user`, after the scope opened. */
@Injectable()
class BearerGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest();
    const token = /^Bearer (\d+)$/.exec(req.headers.authorization ?? '');
    if (token) req.user = { id: Number(token[1]), roles: ['clerk'] };
    return true;
  }
}

@Controller('orders')
@UseGuards(BearerGuard)
class OrdersController {
  constructor(@InjectRepository(Product) private readonly products: Repository<Product>) {}

  @Post()
  async create(@Body() body: { name: string }) {
    const product = await this.products.save(this.products.create({ name: body.name, price: 1 }));
    return { id: product.id };
  }

  @Patch(':id')
  async restock(@Param('id', ParseIntPipe) id: number, @Body() body: { stock: number }) {
    await this.products.update({ id }, { stock: body.stock });
    return { id };
  }
}

describeEachDialect('request user and metadata', (dialect) => {
  describe.each(ADAPTERS)('on %s', (_adapter, httpAdapter) => {
    async function boot(audit: Omit<AuditModuleOptions, 'dataAudit'> = {}): Promise<TestApp> {
      return createTestApp({
        dialect,
        entities: [Product],
        audit: { dataAudit: { enabled: true }, ...audit },
        controllers: [OrdersController],
        httpAdapter: httpAdapter(),
      });
    }

    async function rowsOf(t: TestApp, id: number): Promise<DataLog[]> {
      return (await t.audit.query({ entityType: 'products', entityId: String(id) })).reverse();
    }

    describe('by default', () => {
      let t: TestApp;
      beforeAll(async () => {
        t = await boot();
      });
      afterAll(() => t?.close());

      it("attributes rows to the user a guard put on the request: user_id '42', user_type 'user'", async () => {
        const server = t.app.getHttpServer();
        const created = await request(server).post('/orders').set('Authorization', 'Bearer 42').send({ name: 'a' });
        await request(server).patch(`/orders/${created.body.id}`).set('Authorization', 'Bearer 42').send({ stock: 5 });

        const rows = await rowsOf(t, created.body.id);
        expect(rows.map((row) => [row.action, row.userId, row.userType])).toEqual([
          ['create', '42', 'user'],
          ['update', '42', 'user'],
        ]);
      });

      it("attributes rows to 'system' when the request has no user", async () => {
        const created = await request(t.app.getHttpServer()).post('/orders').send({ name: 'b' });

        const [row] = await rowsOf(t, created.body.id);
        expect([row.userId, row.userType]).toEqual(['system', 'system']);
      });

      it('resolves the user per request, never from another request in flight', async () => {
        const server = t.app.getHttpServer();
        const created = await Promise.all(
          Array.from({ length: 20 }, (_, n) =>
            request(server)
              .post('/orders')
              .set('Authorization', `Bearer ${1000 + n}`)
              .send({ name: `u-${n}` }),
          ),
        );

        for (const [n, res] of created.entries()) {
          expect((await rowsOf(t, res.body.id)).map((row) => row.userId)).toEqual([String(1000 + n)]);
        }
      });

      it('records method and the matched route pattern, without query string, IP or user agent', async () => {
        const server = t.app.getHttpServer();
        const created = await request(server).post('/orders?coupon=SECRET-1').send({ name: 'c' });
        await request(server)
          .patch(`/orders/${created.body.id}?token=abc123`)
          .set('User-Agent', 'audit-e2e/1.0')
          .send({ stock: 9 });

        const rows = await rowsOf(t, created.body.id);
        expect(rows.map((row) => row.metadata)).toEqual([
          { method: 'POST', route: '/orders' },
          { method: 'PATCH', route: '/orders/:id' },
        ]);
      });
    });

    describe('with a userResolver', () => {
      let t: TestApp;
      beforeAll(async () => {
        t = await boot({
          // A service account header wins over the bearer user; nothing known falls back to system.
          userResolver: ({ request: req }) => {
            const r = req as { headers: Record<string, string>; user?: { id: number } } | undefined;
            if (r?.headers['x-service-account']) return { id: r.headers['x-service-account'], type: 'service' };
            return r?.user ? { id: `u${r.user.id}`, type: 'staff' } : undefined;
          },
        });
      });
      afterAll(() => t?.close());

      it('uses what the resolver returns for every row, in place of request.user', async () => {
        const server = t.app.getHttpServer();
        const asService = await request(server)
          .post('/orders')
          .set('Authorization', 'Bearer 42')
          .set('X-Service-Account', 'billing-sync')
          .send({ name: 'd' });
        const asStaff = await request(server).post('/orders').set('Authorization', 'Bearer 42').send({ name: 'e' });
        const anonymous = await request(server).post('/orders').send({ name: 'f' });

        const users = async (id: number) => (await rowsOf(t, id)).map((row) => [row.userId, row.userType]);
        expect(await users(asService.body.id)).toEqual([['billing-sync', 'service']]);
        expect(await users(asStaff.body.id)).toEqual([['u42', 'staff']]);
        expect(await users(anonymous.body.id)).toEqual([['system', 'system']]);
      });
    });

    describe('with recordIp and recordUserAgent', () => {
      let t: TestApp;
      beforeAll(async () => {
        t = await boot({ transaction: { recordIp: true, recordUserAgent: true } });
      });
      afterAll(() => t?.close());

      it('adds the client IP and user agent to the metadata', async () => {
        const created = await request(t.app.getHttpServer())
          .post('/orders')
          .set('User-Agent', 'audit-e2e/1.0')
          .send({ name: 'g' });

        const [row] = await rowsOf(t, created.body.id);
        expect(row.metadata).toEqual({
          method: 'POST',
          route: '/orders',
          ip: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$|^::1$/),
          user_agent: 'audit-e2e/1.0',
        });
      });
    });

    describe('with only recordUserAgent', () => {
      let t: TestApp;
      beforeAll(async () => {
        t = await boot({ transaction: { recordUserAgent: true } });
      });
      afterAll(() => t?.close());

      it('adds the user agent and not the IP', async () => {
        const created = await request(t.app.getHttpServer())
          .post('/orders')
          .set('User-Agent', 'audit-e2e/2.0')
          .send({ name: 'h' });

        const [row] = await rowsOf(t, created.body.id);
        expect(row.metadata).toEqual({ method: 'POST', route: '/orders', user_agent: 'audit-e2e/2.0' });
      });
    });
  });
});
