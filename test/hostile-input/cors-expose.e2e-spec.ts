import { Controller, Get, type INestApplication } from '@nestjs/common';
import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { AuditModule, AuditService } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { describeEachDialect, testDatabase } from '../support/test-app';
import { ADAPTERS } from '../transaction/http-transport';

@Controller()
class PingController {
  constructor(private readonly audit: AuditService) {}

  @Get('ping')
  ping() {
    return { transactionId: this.audit.getTransactionId() };
  }
}

const ORIGIN = 'http://shop.example';

/** The header names a browser script may read, lower-cased, from every Access-Control-Expose-Headers line. */
function exposed(headers: Record<string, unknown>): string[] {
  const value = headers['access-control-expose-headers'];
  if (value === undefined) return [];
  return String(value)
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
}

describeEachDialect('hostile input: a browser on another origin', (dialect) => {
  describe.each(ADAPTERS)('%s', (_adapter, makeAdapter) => {
    const apps: INestApplication[] = [];
    afterAll(async () => {
      for (const app of apps) await app.close();
    });

    async function boot(cors: boolean | CorsOptions): Promise<INestApplication> {
      const moduleRef = await Test.createTestingModule({
        imports: [
          TypeOrmModule.forRoot(await testDatabase(dialect, [Product])),
          AuditModule.forRoot({ dataAudit: { enabled: true } }),
        ],
        controllers: [PingController],
      }).compile();
      const adapter = makeAdapter();
      const app = adapter
        ? moduleRef.createNestApplication(adapter, { logger: false, cors })
        : moduleRef.createNestApplication({ logger: false, cors });
      apps.push(app);
      await app.init();
      if (adapter) await app.getHttpAdapter().getInstance().ready();
      return app;
    }

    it('#18 with CORS enabled, a cross-origin response exposes X-Transaction-Id', async () => {
      const app = await boot(true);
      const response = await request(app.getHttpServer()).get('/ping').set('Origin', ORIGIN).expect(200);
      expect(response.headers['access-control-allow-origin']).toBe('*');
      expect(response.headers['x-transaction-id']).toBe(response.body.transactionId);
      expect(exposed(response.headers)).toContain('x-transaction-id');
    });

    it("#18 the app's own exposed headers are kept, the transaction header added to them", async () => {
      const app = await boot({ origin: ORIGIN, credentials: true, exposedHeaders: ['X-Page-Count'] });
      const response = await request(app.getHttpServer()).get('/ping').set('Origin', ORIGIN).expect(200);
      expect(response.headers['access-control-allow-origin']).toBe(ORIGIN);
      expect(exposed(response.headers)).toEqual(expect.arrayContaining(['x-page-count', 'x-transaction-id']));
      // Once: the browser reads a repeated name the same, but a proxy or a test should not see it twice.
      expect(exposed(response.headers).filter((name) => name === 'x-transaction-id')).toHaveLength(1);

      const sameOrigin = await request(app.getHttpServer()).get('/ping').expect(200);
      // No Origin, no cross-origin reader: the app's own list goes out as the app set it.
      expect(exposed(sameOrigin.headers)).toEqual(['x-page-count']);
    });
  });
});
