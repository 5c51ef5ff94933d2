import {
  Body,
  type CanActivate,
  Controller,
  Get,
  Param,
  ParseIntPipe,
  Post,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Server } from 'node:http';
import request from 'supertest';
import type { Repository } from 'typeorm';
import { AuditService, TRANSACTION_ID_PATTERN } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { ADAPTERS, lenientServer, listen, rawRequest, type RawResponse } from './http-transport';

class RejectAnonymous implements CanActivate {
  canActivate(): boolean {
    throw new UnauthorizedException();
  }
}

class DenyAll implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

@Controller()
class OrdersController {
  constructor(
    @InjectRepository(Product) private readonly products: Repository<Product>,
    private readonly audit: AuditService,
  ) {}

  @Post('orders')
  async create(@Body() body: { name: string }) {
    const product = await this.products.save(this.products.create({ name: body.name, price: 1 }));
    return { id: product.id, transactionId: this.audit.getTransactionId() };
  }

  @Get('orders/:id')
  findOne(@Param('id', ParseIntPipe) id: number) {
    return this.products.findOneBy({ id });
  }

  @Get('admin/orders')
  @UseGuards(RejectAnonymous)
  adminOrders() {
    return [];
  }

  @Get('admin/reports')
  @UseGuards(DenyAll)
  adminReports() {
    return [];
  }

  @Post('orders/fail')
  async fail(@Body() body: { name: string }) {
    await this.products.save(this.products.create({ name: body.name, price: 1 }));
    throw new Error('payment gateway exploded');
  }
}

const HEADER = 'x-transaction-id';
const VALID_IDS = ['checkout-7f3a:retry.1_b', 'x'.repeat(100), '20260418T142318-9f3c2a71c8e4d2b15c90a63e4f712b88'];

/** Values Node's HTTP client will send, so supertest can. */
const HOSTILE_VIA_CLIENT: Array<[string, string]> = [
  ['300 characters', 'a'.repeat(300)],
  ['101 characters', 'a'.repeat(101)],
  ['quotes and SQL', `x'; DROP TABLE audit_logs; --`],
  ['double quotes and HTML', '"><script>alert(1)</script>'],
  ['non-ASCII (latin1)', 'tx-ünïcödé'],
  ['empty', ''],
  ['a tab', 'abc\tdef'],
  ['two values joined', 'abc, def'],
];

type RawOutcome = 'refused' | 'replaced';

/**
 * Values only a raw socket sends, with what Node's strict parser (the default) and its lenient one do
 * with them: "refused" is Node's own 400 before any application code runs.
 */
const HOSTILE_RAW: Array<{ label: string; lines: Array<string | Buffer>; strict: RawOutcome; lenient: RawOutcome }> = [
  { label: 'a bare CR', lines: ['X-Transaction-Id: abc\rdef'], strict: 'refused', lenient: 'refused' },
  { label: 'a bare LF', lines: ['X-Transaction-Id: abc\ndef'], strict: 'refused', lenient: 'refused' },
  { label: 'CR/LF folding', lines: ['X-Transaction-Id: abc', ' def'], strict: 'refused', lenient: 'replaced' },
  { label: 'a NUL byte', lines: ['X-Transaction-Id: abc\u0000def'], strict: 'refused', lenient: 'replaced' },
  { label: 'an ANSI escape', lines: ['X-Transaction-Id: abc\u001b[31mred'], strict: 'refused', lenient: 'replaced' },
  { label: 'a vertical tab', lines: ['X-Transaction-Id: abc\u000bdef'], strict: 'refused', lenient: 'replaced' },
  {
    label: 'UTF-8 bytes',
    lines: [Buffer.from('X-Transaction-Id: tx-\u00fc\u{1f642}', 'utf8')],
    strict: 'replaced',
    lenient: 'replaced',
  },
  {
    label: 'the header sent twice',
    lines: ['X-Transaction-Id: dup-a', 'X-Transaction-Id: dup-b'],
    strict: 'replaced',
    lenient: 'replaced',
  },
  {
    label: 'the header sent twice with one value',
    lines: ['X-Transaction-Id: dup-c', 'X-Transaction-Id: dup-c'],
    strict: 'replaced',
    lenient: 'replaced',
  },
];

describeEachDialect('transaction ID header', (dialect) => {
  describe.each(ADAPTERS)('on %s', (adapter, httpAdapter) => {
    let t: TestApp;
    let port: number;
    let lenient: { port: number; server: Server };
    let nameCounter = 0;
    const uniqueName = () => `order-${++nameCounter}`;

    beforeAll(async () => {
      t = await createTestApp({
        dialect,
        entities: [Product],
        audit: { dataAudit: { enabled: true } },
        controllers: [OrdersController],
        httpAdapter: httpAdapter(),
      });
      port = await listen(t.app);
      lenient = await lenientServer(t.app, adapter);
    });
    afterAll(async () => {
      await new Promise((resolve) => lenient?.server.close(resolve));
      await t?.close();
    });

    async function rowNamed(name: string) {
      const rows = await t.audit.query({ entityType: 'products' });
      return rows.filter((row) => row.newValues?.name === name);
    }

    function postRaw(targetPort: number, name: string, lines: Array<string | Buffer>): Promise<RawResponse> {
      const head = ['POST /orders HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', ...lines];
      return rawRequest(targetPort, head, JSON.stringify({ name }));
    }

    it.each(VALID_IDS)('sends back a valid ID unchanged and stores it on the rows: %s', async (id) => {
      const name = uniqueName();
      const res = await request(t.app.getHttpServer()).post('/orders').set('X-Transaction-Id', id).send({ name });

      expect(res.status).toBe(201);
      expect(res.headers[HEADER]).toBe(id);
      expect(res.body.transactionId).toBe(id);
      expect((await rowNamed(name)).map((row) => row.transactionId)).toEqual([id]);
    });

    it('generates an ID when none is sent, returns it and stores it', async () => {
      const name = uniqueName();
      const res = await request(t.app.getHttpServer()).post('/orders').send({ name });

      expect(res.status).toBe(201);
      expect(res.headers[HEADER]).toMatch(TRANSACTION_ID_PATTERN);
      expect(res.body.transactionId).toBe(res.headers[HEADER]);
      expect((await rowNamed(name)).map((row) => row.transactionId)).toEqual([res.headers[HEADER]]);
    });

    it.each(HOSTILE_VIA_CLIENT)('replaces %s with a fresh ID', async (_label, hostile) => {
      const name = uniqueName();
      const res = await request(t.app.getHttpServer()).post('/orders').set('X-Transaction-Id', hostile).send({ name });

      expect(res.status).toBe(201);
      expect(res.headers[HEADER]).toMatch(TRANSACTION_ID_PATTERN);
      expect((await rowNamed(name)).map((row) => row.transactionId)).toEqual([res.headers[HEADER]]);
    });

    it.each(HOSTILE_RAW)(
      'replaces $label with a fresh ID, or Node refuses it first',
      async ({ lines, ...expected }) => {
        for (const [server, outcome] of [
          [port, expected.strict],
          [lenient.port, expected.lenient],
        ] as const) {
          const name = uniqueName();
          const res = await postRaw(server, name, lines);

          if (outcome === 'refused') {
            // Node's parser answered; no application code ran, so there is no ID and no row.
            expect(res.status).toBe(400);
            expect(res.headers[HEADER]).toBeUndefined();
            expect(await rowNamed(name)).toEqual([]);
          } else {
            expect(res.status).toBe(201);
            expect(res.headers[HEADER]).toHaveLength(1);
            expect(res.headers[HEADER][0]).toMatch(TRANSACTION_ID_PATTERN);
            expect((await rowNamed(name)).map((row) => row.transactionId)).toEqual(res.headers[HEADER]);
          }
        }
      },
    );

    it('never echoes a line smuggled after the ID', async () => {
      // The parser reads this as two headers: a safe ID "abc" and an unrelated header.
      const res = await postRaw(port, uniqueName(), ['X-Transaction-Id: abc', 'Set-Cookie: session=stolen']);

      expect(res.status).toBe(201);
      expect(res.headers[HEADER]).toEqual(['abc']);
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('stored none of the hostile values: every stored ID is a valid one sent or a generated one', async () => {
      const stored = (await t.audit.query({})).map((row) => row.transactionId);

      expect(stored.length).toBeGreaterThan(HOSTILE_VIA_CLIENT.length);
      for (const id of stored) {
        expect(VALID_IDS.includes(id) || id === 'abc' || TRANSACTION_ID_PATTERN.test(id)).toBe(true);
      }
    });

    describe('every response carries the ID', () => {
      const id = 'support-ticket-4711';

      it('a validation error (400)', async () => {
        const res = await request(t.app.getHttpServer()).get('/orders/not-a-number').set('X-Transaction-Id', id);

        expect(res.status).toBe(400);
        expect(res.headers[HEADER]).toBe(id);
      });

      it('a body that is not JSON (400)', async () => {
        const res = await request(t.app.getHttpServer())
          .post('/orders')
          .set('X-Transaction-Id', id)
          .set('Content-Type', 'application/json')
          .send('{"name":');

        expect(res.status).toBe(400);
        expect(res.headers[HEADER]).toBe(id);
      });

      it("a guard's 401", async () => {
        const res = await request(t.app.getHttpServer()).get('/admin/orders').set('X-Transaction-Id', id);

        expect(res.status).toBe(401);
        expect(res.headers[HEADER]).toBe(id);
      });

      it("a guard's 403", async () => {
        const res = await request(t.app.getHttpServer()).get('/admin/reports').set('X-Transaction-Id', id);

        expect(res.status).toBe(403);
        expect(res.headers[HEADER]).toBe(id);
      });

      it('a 404 for an unknown route, with or without an ID sent', async () => {
        const sent = await request(t.app.getHttpServer()).delete('/no/such/route').set('X-Transaction-Id', id);
        const generated = await request(t.app.getHttpServer()).get('/no/such/route');

        expect(sent.status).toBe(404);
        expect(sent.headers[HEADER]).toBe(id);
        expect(generated.status).toBe(404);
        expect(generated.headers[HEADER]).toMatch(TRANSACTION_ID_PATTERN);
      });

      it('an unhandled 500, whose rows written before the throw carry the same ID', async () => {
        const name = uniqueName();
        const res = await request(t.app.getHttpServer())
          .post('/orders/fail')
          .set('X-Transaction-Id', id)
          .send({ name });

        expect(res.status).toBe(500);
        expect(res.headers[HEADER]).toBe(id);
        expect((await rowNamed(name)).map((row) => row.transactionId)).toEqual([id]);
      });
    });
  });
});
