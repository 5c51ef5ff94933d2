import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import request from 'supertest';
import { AuditExplorerModule, REDACTED } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { type TestApp, createTestApp, describeEachDialect } from '../support/test-app';
import { ADAPTERS, listen } from '../transaction/http-transport';

/** Lets a request in when it carries the test's token. */
@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest().headers['x-explorer-token'] === 'let-me-in';
  }
}

const TOKEN = { 'x-explorer-token': 'let-me-in' };
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Reads every page of a search through the JSON API, following nextBeforeId. */
async function allPages(server: any, query: string): Promise<Array<{ id: number }>> {
  const rows: Array<{ id: number }> = [];
  let cursor: number | undefined;
  for (;;) {
    const response = await request(server)
      .get(`/trail/api/logs?${query}&limit=7${cursor ? `&beforeId=${cursor}` : ''}`)
      .set(TOKEN)
      .expect(200);
    rows.push(...response.body.rows);
    cursor = response.body.nextBeforeId;
    if (cursor === undefined) return rows;
  }
}

/** CSV records (RFC 4180: quoted fields, doubled quotes, CRLF between records), header first. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += char;
  }
  return records;
}

describe('explorer start-up refusals', () => {
  const nodeEnv = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = nodeEnv;
  });

  it('refuses to start without a guard, and a public explorer under NODE_ENV=production', () => {
    process.env.NODE_ENV = 'development';
    expect(() => AuditExplorerModule.forRoot({})).toThrow(
      'nestjs-audit-trail: option explorer.guard is required: the explorer at /audit shows every audited change ' +
        'and outbound call, so give it a guard (or public: true to serve it unguarded outside production) (got undefined)',
    );
    expect(() => AuditExplorerModule.forRoot({ public: true })).not.toThrow();
    process.env.NODE_ENV = 'production';
    expect(() => AuditExplorerModule.forRoot({ public: true })).toThrow(
      'nestjs-audit-trail: option explorer.public is refused when NODE_ENV=production: ' +
        'a production explorer must be behind a guard (got true)',
    );
    expect(() => AuditExplorerModule.forRoot({ guard: TokenGuard })).not.toThrow();
  });
});

describeEachDialect('explorer over HTTP', (dialect) => {
  describe.each(ADAPTERS)('on %s', (_adapter, adapter) => {
    let testApp: TestApp;
    let server: any;
    let transactionId: string;

    beforeAll(async () => {
      testApp = await createTestApp({
        dialect,
        entities: [Product],
        audit: { dataAudit: { enabled: true }, apiAudit: { enabled: true } },
        imports: [AuditExplorerModule.forRoot({ path: '/trail', guard: TokenGuard })],
        httpAdapter: adapter(),
      });
      await listen(testApp.app);
      server = testApp.app.getHttpServer();
      const audit = testApp.audit;
      transactionId = 'tx-explorer-1';
      for (let i = 1; i <= 20; i++) {
        await audit.withTransactionId(i <= 3 ? transactionId : `tx-${i}`, () =>
          audit.recordDataChange({
            entityType: i % 2 ? 'orders' : 'products',
            entityId: String(i % 5),
            action: i <= 5 ? 'create' : 'update',
            oldValues: i <= 5 ? null : { status: `s${i - 1}` },
            newValues: { status: `s${i}`, note: i === 7 ? 'comma, "quote"' : null },
            userId: `user-${i % 3}`,
          }),
        );
      }
      await audit.withTransactionId(transactionId, () =>
        audit.recordApiCall({
          service: 'bca',
          endpoint: '/v1/transfer',
          method: 'POST',
          statusCode: 200,
          requestHeaders: { Authorization: 'Bearer secret-token', 'Content-Type': 'application/json' },
          requestBody: { amount: '10.00', password: 'hunter2' },
          durationMs: 42,
        }),
      );
    });

    afterAll(async () => {
      await testApp?.close();
    });

    it('answers 403 to every route without the guard passing', async () => {
      for (const path of ['/trail', '/trail/assets/explorer.js', '/trail/api/logs', '/trail/api/export']) {
        await request(server).get(path).expect(403);
      }
    });

    it('serves the page with a strict Content-Security-Policy and its assets from the same path', async () => {
      const page = await request(server).get('/trail').set(TOKEN).expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toBe(CSP);
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.text).toContain('<script defer src="/trail/assets/explorer.js"></script>');
      expect(page.text).toContain('data-base="/trail" data-data-trail="true" data-api-trail="true"');
      expect(page.text).not.toMatch(/https?:\/\//);
      const script = await request(server).get('/trail/assets/explorer.js').set(TOKEN).expect(200);
      expect(script.headers['content-type']).toMatch(/^text\/javascript/);
      expect(script.text.length).toBeGreaterThan(10_000);
      const style = await request(server).get('/trail/assets/explorer.css').set(TOKEN).expect(200);
      expect(style.headers['content-type']).toMatch(/^text\/css/);
    });

    it('pages a search by keyset and answers 400 for a filter it cannot use', async () => {
      const first = await request(server).get('/trail/api/logs?trail=data&entityType=orders&limit=4').set(TOKEN);
      expect(first.status).toBe(200);
      expect(first.body.rows.map((row: any) => row.entityType)).toEqual(Array(4).fill('orders'));
      const ids = first.body.rows.map((row: any) => row.id);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      expect(first.body.nextBeforeId).toBe(ids[3]);
      const rest = await allPages(server, 'trail=data&entityType=orders');
      expect(rest).toHaveLength(10);
      const calls = await request(server).get('/trail/api/logs?trail=api&service=bca&status=200').set(TOKEN);
      expect(calls.body.rows).toHaveLength(1);
      expect(calls.body.rows[0].requestHeaders.Authorization).toBe(REDACTED);

      const bad = await request(server).get('/trail/api/logs?trail=data&from=yesterday').set(TOKEN).expect(400);
      expect(bad.body.message).toBe('from must be an ISO 8601 instant with a zone, e.g. 2025-01-31T09:30:00.000Z');
      await request(server).get('/trail/api/logs?trail=everything').set(TOKEN).expect(400);
      await request(server).get('/trail/api/logs?limit=501').set(TOKEN).expect(400);
    });

    it('answers a transaction with both trails on one timeline, and 404 for an unknown one', async () => {
      const trail = await request(server).get(`/trail/api/transactions/${transactionId}`).set(TOKEN).expect(200);
      expect(trail.body.timeline.map((item: any) => item.kind)).toEqual(['data', 'data', 'data', 'api']);
      await request(server).get('/trail/api/transactions/nothing-here').set(TOKEN).expect(404);
      // Fastify refuses a path parameter over 100 characters itself (414) before the route's own check (400).
      const tooLong = await request(server)
        .get(`/trail/api/transactions/${'x'.repeat(101)}`)
        .set(TOKEN);
      expect([400, 414]).toContain(tooLong.status);
    });

    it("answers an entity's history and its state at a moment", async () => {
      const history = await request(server).get('/trail/api/entities/orders/1').set(TOKEN).expect(200);
      expect(history.body.rows.map((row: any) => row.action)).toEqual(['update', 'create']);
      const [latest, created] = history.body.rows;
      const state = await request(server)
        .get(`/trail/api/entities/orders/1/state?at=${encodeURIComponent(created.createdAt)}`)
        .set(TOKEN)
        .expect(200);
      expect(state.body).toEqual({ exists: true, values: { status: 's1', note: null } });
      const now = await request(server)
        .get(`/trail/api/entities/orders/1/state?at=${encodeURIComponent(latest.createdAt)}`)
        .set(TOKEN)
        .expect(200);
      expect(now.body.values.status).toBe(latest.newValues.status);
      await request(server).get('/trail/api/entities/orders/1/state').set(TOKEN).expect(400);
    });

    it('exports exactly the rows the JSON API returns, as CSV and NDJSON, redacted values redacted', async () => {
      const filter = 'trail=data&userId=user-1';
      const expected = (await allPages(server, filter)).map((row) => row.id);
      expect(expected.length).toBeGreaterThan(5);

      const csv = await request(server).get(`/trail/api/export?${filter}&format=csv`).set(TOKEN).expect(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="audit-data-.+\.csv"$/);
      expect(csv.text.split('\r\n')[0]).toBe(
        'id,created_at,transaction_id,entity_type,entity_id,action,user_id,user_type,old_values,new_values,metadata',
      );
      const records = parseCsv(csv.text);
      expect(records.slice(1).map((record) => Number(record[0]))).toEqual(expected);
      const seventh = records.find((record) => record[0] === '7');
      expect(JSON.parse(seventh![9])).toEqual({ status: 's7', note: 'comma, "quote"' });
      expect(JSON.parse(seventh![8])).toEqual({ status: 's6' });

      const ndjson = await request(server)
        .get(`/trail/api/export?${filter}&format=ndjson`)
        .set(TOKEN)
        .buffer(true)
        .parse((response, done) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          response.on('end', () => done(null, text));
        })
        .expect(200);
      expect(ndjson.headers['content-type']).toMatch(/^application\/x-ndjson/);
      const lines = (ndjson.body as string)
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines.map((line) => line.id)).toEqual(expected);

      const api = await request(server).get('/trail/api/export?trail=api&format=csv').set(TOKEN).expect(200);
      expect(api.text).toContain(REDACTED);
      expect(api.text).not.toMatch(/secret-token|hunter2/);

      await request(server).get('/trail/api/export?format=xml').set(TOKEN).expect(400);
    });
  });
});
