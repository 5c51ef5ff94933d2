import {
  type CanActivate,
  Controller,
  Get,
  type LoggerService,
  Param,
  Post,
  UnauthorizedException,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/internal';
import { Test } from '@nestjs/testing';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { defer, lastValueFrom } from 'rxjs';
import request from 'supertest';
import type { Repository } from 'typeorm';
import { AuditModule, AuditService, TRANSACTION_ID_PATTERN, TransactionIdInterceptor } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, testDatabase, type TestApp } from '../support/test-app';
import { ADAPTERS } from './http-transport';

class RejectAnonymous implements CanActivate {
  canActivate(): boolean {
    throw new UnauthorizedException();
  }
}

@Controller('bound')
@UseInterceptors(TransactionIdInterceptor)
class BoundController {
  constructor(
    @InjectRepository(Product) private readonly products: Repository<Product>,
    private readonly audit: AuditService,
  ) {}

  @Post(':name')
  async create(@Param('name') name: string) {
    await this.products.save(this.products.create({ name, price: 1 }));
    return { transactionId: this.audit.getTransactionId() };
  }

  @Get('guarded')
  @UseGuards(RejectAnonymous)
  guarded() {
    return [];
  }
}

@Controller('unbound')
class UnboundController {
  constructor(
    @InjectRepository(Product) private readonly products: Repository<Product>,
    private readonly audit: AuditService,
  ) {}

  @Post(':name')
  async create(@Param('name') name: string) {
    await this.products.save(this.products.create({ name, price: 1 }));
    return { transactionId: this.audit.getTransactionId() ?? null };
  }
}

describeEachDialect('transaction.mount: false with the interceptor bound by the application', (dialect) => {
  describe.each(ADAPTERS)('on %s', (_adapter, httpAdapter) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({
        dialect,
        entities: [Product],
        audit: { dataAudit: { enabled: true }, transaction: { mount: false } },
        controllers: [BoundController, UnboundController],
        httpAdapter: httpAdapter(),
      });
    });
    afterAll(() => t?.close());

    async function rowOf(name: string) {
      const [row] = (await t.audit.query({ entityType: 'products' })).filter((r) => r.newValues?.name === name);
      return row;
    }

    it('seeds the ID from the header, returns it and stamps it, with the route pattern', async () => {
      const res = await request(t.app.getHttpServer()).post('/bound/pen').set('X-Transaction-Id', 'bound-1');

      expect(res.headers['x-transaction-id']).toBe('bound-1');
      expect(res.body.transactionId).toBe('bound-1');
      expect(await rowOf('pen')).toMatchObject({
        transactionId: 'bound-1',
        metadata: { method: 'POST', route: '/bound/:name' },
      });
    });

    it('generates the ID when the header is missing or unsafe', async () => {
      const res = await request(t.app.getHttpServer()).post('/bound/ink').set('X-Transaction-Id', 'a b');

      expect(res.headers['x-transaction-id']).toMatch(TRANSACTION_ID_PATTERN);
      expect((await rowOf('ink')).transactionId).toBe(res.headers['x-transaction-id']);
    });

    it("does not reach a guard's 401, which runs before any interceptor: that needs the middleware", async () => {
      const res = await request(t.app.getHttpServer()).get('/bound/guarded').set('X-Transaction-Id', 'bound-2');

      expect(res.status).toBe(401);
      expect(res.headers['x-transaction-id']).toBeUndefined();
    });

    it('leaves routes it is not bound to without a scope: no header, rows still written with a generated ID', async () => {
      const res = await request(t.app.getHttpServer()).post('/unbound/nib').set('X-Transaction-Id', 'ignored-1');

      expect(res.status).toBe(201);
      expect(res.headers['x-transaction-id']).toBeUndefined();
      expect(res.body.transactionId).toBeNull();
      expect(await rowOf('nib')).toMatchObject({
        metadata: null,
        transactionId: expect.stringMatching(TRANSACTION_ID_PATTERN),
      });
    });

    it('opens a scope with a fresh ID for a non-HTTP handler (a message consumer)', async () => {
      const interceptor = t.app.get(TransactionIdInterceptor);
      const context = new ExecutionContextHost(
        [{ orderId: 7 }, {}],
        UnboundController,
        UnboundController.prototype.create,
      );
      context.setType('rpc');
      const products = t.dataSource.getRepository(Product);

      const seen = await lastValueFrom(
        interceptor.intercept(context, {
          handle: () =>
            defer(async () => {
              await products.save(products.create({ name: 'from-queue', price: 1 }));
              return t.audit.getTransactionId();
            }),
        }),
      );

      expect(seen).toMatch(TRANSACTION_ID_PATTERN);
      expect(await rowOf('from-queue')).toMatchObject({ transactionId: seen, metadata: null });
      expect(t.audit.getTransactionId()).toBeUndefined();
    });
  });
});

describe.each(ADAPTERS)('mounting the middleware on %s', (_adapter, httpAdapter) => {
  it('prints no route-path warning or error', async () => {
    const printed: string[] = [];
    const capture = (level: string) => (message: unknown) => printed.push(`${level}: ${String(message)}`);
    const logger: LoggerService = { log: () => undefined, warn: capture('warn'), error: capture('error') };
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(await testDatabase('sqlite', [Product])),
        AuditModule.forRoot({ dataAudit: { enabled: true } }),
      ],
    }).compile();
    const adapter = httpAdapter();
    const app = adapter
      ? moduleRef.createNestApplication(adapter, { logger })
      : moduleRef.createNestApplication({ logger });

    await app.init();
    if (adapter) await app.getHttpAdapter().getInstance().ready();
    const res = await request(app.getHttpServer()).get('/anything').set('X-Transaction-Id', 'mounted-1');
    await app.close();

    expect(res.headers['x-transaction-id']).toBe('mounted-1');
    expect(printed).toEqual([]);
  });
});
