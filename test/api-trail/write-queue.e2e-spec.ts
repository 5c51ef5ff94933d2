import { HttpModule, HttpService } from '@nestjs/axios';
import { firstValueFrom } from 'rxjs';
import { ApiTrailWriteError } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, dialectsUnderTest } from '../support/test-app';
import { type LoopbackServer, json, startLoopbackServer, withFreshConnection } from './loopback-server';

describeEachDialect('API trail write queue', (dialect) => {
  let gateway: LoopbackServer;

  beforeAll(async () => {
    gateway = await startLoopbackServer({
      'GET /v1/items': (_request, response) => json(response, 200, { ok: true }),
      'POST /v1/items': (_request, response) => json(response, 201, { ok: true }),
    });
  });

  afterAll(() => gateway?.close());

  it('writes the rows of 100 calls fired just before app.close(), before close completes', async () => {
    const t = await createTestApp({
      dialect,
      entities: [Product],
      imports: [HttpModule],
      audit: { apiAudit: { enabled: true, services: { [gateway.url]: 'items' } } },
    });
    const options = t.dataSource.options;
    const http = t.app.get(HttpService);

    const calls = Array.from({ length: 100 }, (_, i) =>
      firstValueFrom(
        i % 2 ? http.get(`${gateway.url}/v1/items?n=${i}`) : http.post(`${gateway.url}/v1/items`, { n: i }),
      ),
    );
    const fetches = Array.from({ length: 20 }, (_, i) => fetch(`${gateway.url}/v1/items?fetch=${i}`));
    await t.close();
    await Promise.all([...calls, ...fetches]);

    const rows = await withFreshConnection(options, (dataSource) =>
      dataSource.query(
        `SELECT method, COUNT(*) AS n FROM audit_api_logs WHERE service = 'items' GROUP BY method ORDER BY method`,
      ),
    );
    expect(rows.map((row: { method: string; n: unknown }) => [row.method, Number(row.n)])).toEqual([
      ['GET', 70],
      ['POST', 50],
    ]);
  });

  it('fail-loud: keeps the rows while the table refuses them, flushApiCalls rejects, and they are written once it is back', async () => {
    const t = await createTestApp({
      dialect,
      entities: [Product],
      imports: [HttpModule],
      audit: { apiAudit: { enabled: true, onError: 'fail-loud', services: { [gateway.url]: 'items' } } },
    });
    try {
      const http = t.app.get(HttpService);
      await t.dataSource.query('ALTER TABLE audit_api_logs RENAME TO audit_api_logs_away');
      const response = await firstValueFrom(http.get(`${gateway.url}/v1/items?n=1`));
      // The caller's own call is not affected by the audit write failing.
      expect(response.data).toEqual({ ok: true });
      await firstValueFrom(http.post(`${gateway.url}/v1/items`, { n: 2 }));
      await expect(t.audit.flushApiCalls()).rejects.toThrow(ApiTrailWriteError);

      await t.dataSource.query('ALTER TABLE audit_api_logs_away RENAME TO audit_api_logs');
      await expect(t.audit.flushApiCalls()).resolves.toBeUndefined();
      const rows = await t.audit.queryApiCalls({ service: 'items' });
      expect(rows.map((row) => row.method).sort()).toEqual(['GET', 'POST']);
    } finally {
      await t.close();
    }
  });

  it('fail-silent: a failed write is logged and the caller goes on', async () => {
    const t = await createTestApp({
      dialect,
      entities: [Product],
      imports: [HttpModule],
      audit: { apiAudit: { enabled: true, onError: 'fail-silent', services: { [gateway.url]: 'items' } } },
    });
    try {
      await t.dataSource.query('DROP TABLE audit_api_logs');
      const response = await firstValueFrom(t.app.get(HttpService).get(`${gateway.url}/v1/items`));
      expect(response.data).toEqual({ ok: true });
      await expect(t.audit.flushApiCalls()).resolves.toBeUndefined();
      await expect(
        t.audit.recordApiCall({ service: 'x', endpoint: '/', method: 'GET', statusCode: 200, durationMs: 1 }),
      ).resolves.toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it('fail-loud: recordApiCall rejects to its caller', async () => {
    const t = await createTestApp({ dialect, entities: [Product], audit: { apiAudit: { enabled: true } } });
    try {
      await t.dataSource.query('DROP TABLE audit_api_logs');
      await expect(
        t.audit.recordApiCall({ service: 'x', endpoint: '/', method: 'GET', statusCode: 200, durationMs: 1 }),
      ).rejects.toThrow();
    } finally {
      await t.close();
    }
  });
});

// A CHECK constraint stands for any row the database refuses while it accepts the others.
(dialectsUnderTest().includes('postgres') ? describe : describe.skip)('API trail poison row [postgres]', () => {
  it('fail-loud: writes the other rows, drops the refused one and reports it', async () => {
    const gateway = await startLoopbackServer({
      'GET /ok': (_request, response) => json(response, 200, { ok: true }),
      'GET /refused': (_request, response) => json(response, 200, { ok: false }),
      // PostgreSQL refuses a NUL inside JSONB; the store writes it as U+FFFD so the row is kept.
      'GET /nul': (_request, response) => json(response, 200, { note: 'nul\u0000byte' }),
    });
    const t = await createTestApp({
      dialect: 'postgres',
      entities: [Product],
      imports: [HttpModule],
      audit: { apiAudit: { enabled: true, services: { [gateway.url]: 'items' } } },
    });
    try {
      await t.dataSource.query(`ALTER TABLE audit_api_logs ADD CONSTRAINT refuse_one CHECK (endpoint <> '/refused')`);
      const http = t.app.get(HttpService);
      await firstValueFrom(http.get(`${gateway.url}/ok?n=1`));
      await firstValueFrom(http.get(`${gateway.url}/refused`));
      await firstValueFrom(http.get(`${gateway.url}/nul`));
      await firstValueFrom(http.get(`${gateway.url}/ok?n=2`));
      await expect(t.audit.flushApiCalls()).rejects.toThrow('refused by the database');
      const rows = await t.audit.queryApiCalls({ service: 'items' });
      expect(rows.map((row) => row.endpoint)).toEqual(['/ok', '/nul', '/ok']);
      expect(rows[1].responseBody).toEqual({ note: 'nul\ufffdbyte' });
      // Reported once; nothing is left queued behind it.
      await expect(t.audit.flushApiCalls()).resolves.toBeUndefined();
    } finally {
      await t.close();
      await gateway.close();
    }
  });
});
