import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  type INestApplication,
  Injectable,
  Param,
  Post,
  UseGuards,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule, type ClsModuleOptions, ClsService } from 'nestjs-cls';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import type { Repository } from 'typeorm';
import { AuditModule, AuditService, TRANSACTION_ID_PATTERN } from 'nestjs-audit-trail';
import type { TestDialect } from '../support/databases';
import { Product } from '../support/product.entity';
import { describeEachDialect, testDatabase } from '../support/test-app';
import { ADAPTERS } from './http-transport';

/** An application guard that writes a row: it runs after the application's ClsGuard, before any interceptor. */
@Injectable()
class RecordAccess implements CanActivate {
  constructor(@InjectRepository(Product) private readonly products: Repository<Product>) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const name = context.switchToHttp().getRequest().params.name;
    await this.products.save(this.products.create({ name: `${name}-access`, price: 0 }));
    return true;
  }
}

@Controller('tenants')
@UseGuards(RecordAccess)
class TenantController {
  constructor(
    private readonly cls: ClsService,
    @InjectRepository(Product) private readonly products: Repository<Product>,
    private readonly audit: AuditService,
  ) {}

  @Post(':name')
  async create(@Param('name') name: string) {
    await sleep(Math.random() * 5);
    await this.products.save(this.products.create({ name, price: 1 }));
    return {
      tenant: this.cls.get('tenant'),
      requestId: this.cls.getId(),
      transactionId: this.audit.getTransactionId(),
    };
  }
}

type Header = string | string[] | undefined;
const tenantOf = (headers: Record<string, Header>) => headers['x-tenant'];

/** The ways an application sets up its own nestjs-cls context, each with a value set in its setup hook. */
const APP_CLS_SETUPS: Array<[string, ClsModuleOptions, 'before' | 'after']> = [
  [
    'its ClsMiddleware, imported before AuditModule',
    {
      global: true,
      middleware: { mount: true, generateId: true, setup: (cls, req) => cls.set('tenant', tenantOf(req.headers)) },
    },
    'before',
  ],
  [
    'its ClsMiddleware, imported after AuditModule',
    {
      global: true,
      middleware: { mount: true, generateId: true, setup: (cls, req) => cls.set('tenant', tenantOf(req.headers)) },
    },
    'after',
  ],
  [
    'its ClsGuard',
    {
      global: true,
      guard: {
        mount: true,
        generateId: true,
        setup: (cls, context) => cls.set('tenant', tenantOf(context.switchToHttp().getRequest().headers)),
      },
    },
    'after',
  ],
  [
    'its ClsInterceptor',
    {
      global: true,
      interceptor: {
        mount: true,
        generateId: true,
        setup: (cls, context) => cls.set('tenant', tenantOf(context.switchToHttp().getRequest().headers)),
      },
    },
    'after',
  ],
];

async function bootApp(
  dialect: TestDialect,
  httpAdapter: ReturnType<(typeof ADAPTERS)[number][1]>,
  clsOptions: ClsModuleOptions,
  order: 'before' | 'after',
): Promise<{ app: INestApplication; audit: AuditService }> {
  const database = await testDatabase(dialect, [Product]);
  const cls = ClsModule.forRoot(clsOptions);
  const audit = AuditModule.forRoot({ dataAudit: { enabled: true } });
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot(database),
      TypeOrmModule.forFeature([Product]),
      ...(order === 'before' ? [cls, audit] : [audit, cls]),
    ],
    controllers: [TenantController],
  }).compile();
  const app = httpAdapter
    ? moduleRef.createNestApplication(httpAdapter, { logger: false })
    : moduleRef.createNestApplication({ logger: false });
  await app.init();
  if (httpAdapter) await app.getHttpAdapter().getInstance().ready();
  return { app, audit: app.get(AuditService) };
}

describeEachDialect('an application with its own ClsModule', (dialect) => {
  describe.each(ADAPTERS)('on %s', (_adapter, httpAdapter) => {
    describe.each(APP_CLS_SETUPS)('set up with %s', (_label, clsOptions, order) => {
      let app: INestApplication;
      let audit: AuditService;

      beforeAll(async () => {
        ({ app, audit } = await bootApp(dialect, httpAdapter(), clsOptions, order));
      });
      afterAll(() => app?.close());

      async function idOfRow(name: string): Promise<string[]> {
        const rows = await audit.query({ entityType: 'products' });
        return rows.filter((row) => row.newValues?.name === name).map((row) => row.transactionId);
      }

      it('keeps its own CLS values and gets the transaction ID on the response and the rows', async () => {
        const res = await request(app.getHttpServer())
          .post('/tenants/acme-order')
          .set('X-Tenant', 'acme')
          .set('X-Transaction-Id', 'checkout-acme-1');

        expect(res.status).toBe(201);
        expect(res.body.tenant).toBe('acme');
        expect(res.body.requestId).toEqual(expect.any(String));
        expect(res.body.transactionId).toBe('checkout-acme-1');
        expect(res.headers['x-transaction-id']).toBe('checkout-acme-1');
        expect(await idOfRow('acme-order')).toEqual(['checkout-acme-1']);
        expect(await idOfRow('acme-order-access')).toEqual(['checkout-acme-1']);
      });

      it('generates the ID when none is sent', async () => {
        const res = await request(app.getHttpServer()).post('/tenants/globex-order').set('X-Tenant', 'globex');

        expect(res.body.tenant).toBe('globex');
        expect(res.headers['x-transaction-id']).toMatch(TRANSACTION_ID_PATTERN);
        expect(await idOfRow('globex-order')).toEqual([res.headers['x-transaction-id']]);
        expect(await idOfRow('globex-order-access')).toEqual([res.headers['x-transaction-id']]);
      });

      it('keeps both sets of values apart across concurrent requests', async () => {
        const responses = await Promise.all(
          Array.from({ length: 20 }, (_, n) =>
            request(app.getHttpServer())
              .post(`/tenants/concurrent-${n}`)
              .set('X-Tenant', `tenant-${n}`)
              .set('X-Transaction-Id', `tx-${n}`),
          ),
        );

        for (const [n, res] of responses.entries()) {
          expect(res.body).toMatchObject({ tenant: `tenant-${n}`, transactionId: `tx-${n}` });
          expect(await idOfRow(`concurrent-${n}`)).toEqual([`tx-${n}`]);
        }
        expect(new Set(responses.map((res) => res.body.requestId)).size).toBe(20);
      });
    });
  });
});
