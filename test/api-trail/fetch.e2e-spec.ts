import { AUDIT_SERVICE_HEADER, type ApiLog, REDACTED } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { type TestApp, createTestApp, describeEachDialect } from '../support/test-app';
import { type LoopbackServer, json, refusedUrl, startLoopbackServer } from './loopback-server';

const MAX_BODY_SIZE = 1024;
const BIG_BODY = { text: 'ü€'.repeat(40_000) };
const PDF = Buffer.alloc(3000, 0x25);

describeEachDialect('API trail through the global fetch', (dialect) => {
  let gateway: LoopbackServer;
  let t: TestApp;
  const originalFetch = globalThis.fetch;

  beforeAll(async () => {
    gateway = await startLoopbackServer({
      'POST /v1/transfer': (request, response) =>
        json(response, 201, {
          reference: 'TRX-9',
          cards: [{ card_number: '5500000000000004' }],
          echoed: JSON.parse(request.body),
        }),
      'GET /big': (_request, response) => json(response, 200, BIG_BODY),
      'GET /fail': (_request, response) => json(response, 502, { error: 'upstream down' }),
      'GET /statement.pdf': (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/pdf' });
        response.end(PDF);
      },
      'GET /hang': () => undefined,
    });
    t = await createTestApp({
      dialect,
      entities: [Product],
      audit: {
        apiAudit: {
          enabled: true,
          redactHeaders: ['Authorization'],
          redactBodyFields: ['card_number'],
          maxBodySize: MAX_BODY_SIZE,
          services: { [gateway.url]: 'bca' },
        },
      },
    });
  });

  afterAll(async () => {
    await t?.close();
    await gateway?.close();
  });

  async function rowsFor(endpoint: string): Promise<ApiLog[]> {
    await t.audit.flushApiCalls();
    return (await t.audit.queryApiCalls({})).filter((row) => row.endpoint === endpoint);
  }

  it('records a fetch call with the same redaction, and leaves the response body to the caller', async () => {
    const response = await fetch(`${gateway.url}/v1/transfer?signature=query-secret`, {
      method: 'POST',
      headers: { Authorization: 'Bearer s3cr3t', 'Content-Type': 'application/json' },
      body: JSON.stringify({ amount: 5, cards: [{ card_number: '4111111111111111', cvv_hint: 'x' }] }),
    });
    // The caller reads its own body in full: the trail read a clone.
    const body = (await response.json()) as { cards: Array<{ card_number: string }> };
    expect(body.cards[0].card_number).toBe('5500000000000004');

    const [row] = await rowsFor('/v1/transfer');
    expect(row).toMatchObject({ service: 'bca', method: 'POST', statusCode: 201, errorMessage: null });
    expect(row.requestHeaders).toMatchObject({ authorization: REDACTED, 'content-type': 'application/json' });
    expect(row.requestBody).toEqual({ amount: 5, cards: [{ card_number: REDACTED, cvv_hint: 'x' }] });
    expect(row.responseBody).toEqual({
      reference: 'TRX-9',
      cards: [{ card_number: REDACTED }],
      echoed: { amount: 5, cards: [{ card_number: REDACTED, cvv_hint: 'x' }] },
    });
    expect(JSON.stringify(row)).not.toMatch(/query-secret|s3cr3t|4111111111111111|5500000000000004/);
  });

  it('truncates a large response by the same rules', async () => {
    const response = await fetch(`${gateway.url}/big`);
    expect(((await response.json()) as typeof BIG_BODY).text).toBe(BIG_BODY.text);
    const [row] = await rowsFor('/big');
    const stored = row.responseBody as { _truncated: boolean; original_size: number; preview: string };
    const json = JSON.stringify(BIG_BODY);
    expect(stored._truncated).toBe(true);
    expect(stored.original_size).toBe(Buffer.byteLength(json));
    expect(Buffer.byteLength(stored.preview)).toBeLessThanOrEqual(MAX_BODY_SIZE);
    expect(Buffer.byteLength(stored.preview)).toBeGreaterThan(MAX_BODY_SIZE - 3);
    expect(json.startsWith(stored.preview)).toBe(true);
  });

  it('records an error status, a refused connection and a timeout', async () => {
    const failed = await fetch(`${gateway.url}/fail`);
    expect(failed.status).toBe(502);
    const nowhere = await refusedUrl();
    await expect(fetch(`${nowhere}/v1/charge`, { headers: { [AUDIT_SERVICE_HEADER]: 'bca' } })).rejects.toThrow(
      'fetch failed',
    );
    await expect(fetch(`${gateway.url}/hang`, { signal: AbortSignal.timeout(150) })).rejects.toThrow();

    const [fail] = await rowsFor('/fail');
    expect(fail).toMatchObject({ statusCode: 502, responseBody: { error: 'upstream down' } });
    const [refused] = await rowsFor('/v1/charge');
    expect(refused.statusCode).toBe(0);
    expect(refused.errorMessage).toMatch(/^fetch failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    const [timedOut] = await rowsFor('/hang');
    expect(timedOut.statusCode).toBe(0);
    expect(timedOut.errorMessage).toContain('timeout');
  });

  it('stores a binary response as a marker with its size, without reading it for the caller', async () => {
    const response = await fetch(`${gateway.url}/statement.pdf`);
    expect(Buffer.from(await response.arrayBuffer()).equals(PDF)).toBe(true);
    const [row] = await rowsFor('/statement.pdf');
    expect(row.responseBody).toEqual({ _binary: true, size: PDF.length, content_type: 'application/pdf' });
  });

  it('records a call whose caller never reads the body', async () => {
    const response = await fetch(`${gateway.url}/fail`, { headers: { 'X-Probe': 'unread' } });
    expect(response.status).toBe(502);
    await t.audit.flushApiCalls();
    const rows = (await t.audit.queryApiCalls({})).filter((row) => row.requestHeaders?.['x-probe'] === 'unread');
    expect(rows).toHaveLength(1);
    expect(rows[0].responseBody).toEqual({ error: 'upstream down' });
  });

  it('restores the original fetch on close, and two apps in one process do not stack wrappers', async () => {
    expect(globalThis.fetch).not.toBe(originalFetch);
    const second = await createTestApp({
      dialect,
      entities: [Product],
      audit: { apiAudit: { enabled: true, services: { [gateway.url]: 'bca' } } },
    });
    const before = (await rowsFor('/fail')).length;
    try {
      await fetch(`${gateway.url}/fail`);
      await second.audit.flushApiCalls();
      // While both run, the latest started records the call, and only it.
      expect((await second.audit.queryApiCalls({})).map((row) => row.endpoint)).toEqual(['/fail']);
      expect(await rowsFor('/fail')).toHaveLength(before);
    } finally {
      await second.close();
    }
    await fetch(`${gateway.url}/fail`);
    expect(await rowsFor('/fail')).toHaveLength(before + 1);
  });
});

describeEachDialect('API trail with apiAudit.fetch off', (dialect) => {
  it('leaves the global fetch alone', async () => {
    const gateway = await startLoopbackServer({ 'GET /ping': (_request, response) => json(response, 200, {}) });
    const original = globalThis.fetch;
    const t = await createTestApp({
      dialect,
      entities: [Product],
      audit: { apiAudit: { enabled: true, fetch: false } },
    });
    try {
      expect(globalThis.fetch).toBe(original);
      await t.audit.withTransactionId('no-fetch-1', () => fetch(`${gateway.url}/ping`));
      await t.audit.flushApiCalls();
      expect(await t.audit.queryApiCalls({})).toHaveLength(0);
      expect(gateway.received[0].headers['x-transaction-id']).toBeUndefined();
    } finally {
      await t.close();
      await gateway.close();
    }
  });
});

describe('API trail fetch hook lifecycle', () => {
  it('puts the original fetch back once the last application closed', async () => {
    const original = globalThis.fetch;
    const first = await createTestApp({
      dialect: 'sqlite',
      entities: [Product],
      audit: { apiAudit: { enabled: true } },
    });
    const wrapped = globalThis.fetch;
    expect(wrapped).not.toBe(original);
    const second = await createTestApp({
      dialect: 'sqlite',
      entities: [Product],
      audit: { apiAudit: { enabled: true } },
    });
    expect(globalThis.fetch).toBe(wrapped);
    await first.close();
    expect(globalThis.fetch).toBe(wrapped);
    await second.close();
    expect(globalThis.fetch).toBe(original);
  });
});
