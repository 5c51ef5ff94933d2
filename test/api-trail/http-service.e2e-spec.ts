import { HttpModule, HttpService } from '@nestjs/axios';
import { firstValueFrom } from 'rxjs';
import { AUDIT_SERVICE_HEADER, type ApiLog, REDACTED } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { type TestApp, createTestApp, describeEachDialect } from '../support/test-app';
import { type LoopbackServer, json, refusedUrl, startLoopbackServer } from './loopback-server';

const MAX_BODY_SIZE = 4096;
// 200 KB of JSON whose every character after the key takes 3 bytes in UTF-8: wherever the
// preview is cut, it falls inside or just after a multi-byte character.
const BIG_BODY = { text: '€'.repeat(70_000) };
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(1000, 0xff)]);

describeEachDialect('API trail through HttpService', (dialect) => {
  let gateway: LoopbackServer;
  let t: TestApp;
  let http: HttpService;

  beforeAll(async () => {
    gateway = await startLoopbackServer({
      'POST /v1/transfer': (request, response) =>
        json(response, 201, {
          reference: 'TRX-1',
          echoed: JSON.parse(request.body),
          cards: [{ card_number: '5500000000000004', brand: 'mc' }],
        }),
      'GET /big': (_request, response) => json(response, 200, BIG_BODY),
      'GET /fail': (_request, response) => json(response, 500, { error: 'gateway exploded' }),
      'GET /hang': () => undefined,
      'GET /logo.png': (_request, response) => {
        response.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length });
        response.end(PNG);
      },
      'GET /health': (_request, response) => json(response, 200, { ok: true }),
      'GET /v1/balance': (_request, response) => json(response, 200, { balance: 10 }),
    });
    t = await createTestApp({
      dialect,
      entities: [Product],
      imports: [HttpModule],
      audit: {
        apiAudit: {
          enabled: true,
          redactHeaders: ['authorization'],
          redactBodyFields: ['CARD_NUMBER'],
          maxBodySize: MAX_BODY_SIZE,
          services: { [gateway.url]: 'bca' },
          skipPaths: ['/health'],
        },
      },
    });
    http = t.app.get(HttpService);
  });

  afterAll(async () => {
    await t?.close();
    await gateway?.close();
  });

  async function rowsFor(endpoint: string): Promise<ApiLog[]> {
    await t.audit.flushApiCalls();
    return (await t.audit.queryApiCalls({ service: 'bca' })).filter((row) => row.endpoint === endpoint);
  }

  it('redacts the Authorization header and a card_number nested in arrays, in request and response bodies', async () => {
    const response = await firstValueFrom(
      http.post(
        `${gateway.url}/v1/transfer?api_key=query-secret`,
        { amount: 150_000, payer: { cards: [{ card_number: '4111111111111111', holder: 'Ani' }] } },
        { headers: { Authorization: 'Bearer s3cr3t', 'X-Request-Source': 'checkout' } },
      ),
    );
    // The caller gets the gateway's answer untouched.
    expect(response.data.cards[0].card_number).toBe('5500000000000004');

    const [row] = await rowsFor('/v1/transfer');
    expect(row).toMatchObject({
      service: 'bca',
      method: 'POST',
      statusCode: 201,
      errorMessage: null,
      userId: 'system',
    });
    // Path only: the query string (and its api_key) is not stored anywhere in the row.
    expect(row.endpoint).toBe('/v1/transfer');
    expect(JSON.stringify(row)).not.toContain('query-secret');
    expect(row.requestHeaders?.Authorization).toBe(REDACTED);
    expect(row.requestHeaders?.['X-Request-Source']).toBe('checkout');
    expect(row.requestBody).toEqual({ amount: 150_000, payer: { cards: [{ card_number: REDACTED, holder: 'Ani' }] } });
    expect(row.responseBody).toEqual({
      reference: 'TRX-1',
      echoed: { amount: 150_000, payer: { cards: [{ card_number: REDACTED, holder: 'Ani' }] } },
      cards: [{ card_number: REDACTED, brand: 'mc' }],
    });
    expect(JSON.stringify(row)).not.toMatch(/4111111111111111|5500000000000004|s3cr3t/);
    expect(row.durationMs).toBeGreaterThanOrEqual(0);
    // Nothing was redacted on the wire.
    const sent = gateway.received.find((request) => request.url.startsWith('/v1/transfer'))!;
    expect(sent.headers.authorization).toBe('Bearer s3cr3t');
    expect(JSON.parse(sent.body).payer.cards[0].card_number).toBe('4111111111111111');
  });

  it('stores a 200 KB response as the truncation marker with its exact size and a whole-character preview', async () => {
    const response = await firstValueFrom(http.get(`${gateway.url}/big`));
    expect(response.data.text).toHaveLength(70_000);

    const [row] = await rowsFor('/big');
    const json = JSON.stringify(BIG_BODY);
    const body = row.responseBody as { _truncated: boolean; original_size: number; preview: string };
    expect(body._truncated).toBe(true);
    expect(body.original_size).toBe(Buffer.byteLength(json));
    const previewBytes = Buffer.byteLength(body.preview);
    expect(previewBytes).toBeLessThanOrEqual(MAX_BODY_SIZE);
    // Cut back by less than one character, never into one: valid UTF-8, no replacement character.
    expect(previewBytes).toBeGreaterThan(MAX_BODY_SIZE - 3);
    expect(body.preview).not.toContain('\uFFFD');
    expect(Buffer.from(body.preview, 'utf8').toString('utf8')).toBe(body.preview);
    expect(json.startsWith(body.preview)).toBe(true);
  });

  it('stores status 500 with its error message and response body', async () => {
    await expect(firstValueFrom(http.get(`${gateway.url}/fail`))).rejects.toThrow('status code 500');
    const [row] = await rowsFor('/fail');
    expect(row).toMatchObject({
      statusCode: 500,
      errorMessage: 'Request failed with status code 500',
      responseBody: { error: 'gateway exploded' },
    });
  });

  it('stores status 0 with the error message when the connection is refused', async () => {
    const nowhere = await refusedUrl();
    await expect(
      firstValueFrom(http.get(`${nowhere}/v1/charge`, { headers: { [AUDIT_SERVICE_HEADER]: 'bca' } })),
    ).rejects.toThrow();
    const [row] = await rowsFor('/v1/charge');
    expect(row.statusCode).toBe(0);
    expect(row.errorMessage).toContain('ECONNREFUSED');
    expect(row.responseBody).toBeNull();
  });

  it('stores status 0 with the error message when the call times out', async () => {
    await expect(firstValueFrom(http.get(`${gateway.url}/hang`, { timeout: 150 }))).rejects.toThrow();
    const [row] = await rowsFor('/hang');
    expect(row.statusCode).toBe(0);
    expect(row.errorMessage).toBe('timeout of 150ms exceeded');
  });

  it('stores a binary response as a marker, whatever the responseType', async () => {
    const asText = await firstValueFrom(http.get(`${gateway.url}/logo.png`));
    const asBytes = await firstValueFrom(http.get(`${gateway.url}/logo.png`, { responseType: 'arraybuffer' }));
    expect(Buffer.from(asBytes.data as ArrayBuffer).equals(PNG)).toBe(true);
    expect(typeof asText.data).toBe('string');

    const rows = await rowsFor('/logo.png');
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.statusCode).toBe(200);
      expect(row.responseBody).toEqual({ _binary: true, size: PNG.length, content_type: 'image/png' });
    }
  });

  it('names the service per call, from the auditService config field or the X-Audit-Service header, and does not send that header', async () => {
    await firstValueFrom(http.get(`${gateway.url}/v1/balance`, { auditService: 'bca-sandbox' } as object));
    await firstValueFrom(http.get(`${gateway.url}/v1/balance`, { headers: { [AUDIT_SERVICE_HEADER]: 'bca-mirror' } }));
    await t.audit.flushApiCalls();
    expect((await t.audit.queryApiCalls({ service: 'bca-sandbox' })).map((row) => row.endpoint)).toEqual([
      '/v1/balance',
    ]);
    const [mirror] = await t.audit.queryApiCalls({ service: 'bca-mirror' });
    expect(mirror.requestHeaders?.[AUDIT_SERVICE_HEADER]).toBeUndefined();
    const balanceCalls = gateway.received.filter((request) => request.url === '/v1/balance');
    expect(balanceCalls.every((request) => request.headers['x-audit-service'] === undefined)).toBe(true);
  });

  it('skips calls whose path starts with a skipPaths entry', async () => {
    await firstValueFrom(http.get(`${gateway.url}/health`));
    await t.audit.flushApiCalls();
    const rows = await t.audit.queryApiCalls({});
    expect(rows.filter((row) => row.endpoint === '/health')).toHaveLength(0);
    expect(gateway.received.some((request) => request.url === '/health')).toBe(true);
  });

  it('queries newest first with filters, and records a call by hand with the same redaction', async () => {
    await t.audit.recordApiCall({
      service: 'jne',
      endpoint: '/v2/shipments',
      method: 'post',
      statusCode: 201,
      requestHeaders: { Authorization: 'Basic abc', 'Content-Type': 'application/json' },
      requestBody: '{"card_number":"4111","weight":2}',
      responseBody: { awb: 'JNE-1' },
      durationMs: 12.6,
      metadata: { source: 'manual' },
      transactionId: 'manual-1',
    });
    await t.audit.recordApiCall({
      service: 'jne',
      endpoint: '/v2/track',
      method: 'GET',
      statusCode: 404,
      durationMs: 3,
    });
    const rows = await t.audit.queryApiCalls({ service: 'jne' });
    expect(rows.map((row) => row.endpoint)).toEqual(['/v2/track', '/v2/shipments']);
    expect(rows[1]).toMatchObject({
      method: 'POST',
      durationMs: 13,
      requestHeaders: { Authorization: REDACTED, 'Content-Type': 'application/json' },
      requestBody: { card_number: REDACTED, weight: 2 },
      responseBody: { awb: 'JNE-1' },
      metadata: { source: 'manual' },
      transactionId: 'manual-1',
    });
    expect(await t.audit.queryApiCalls({ service: 'jne', statusCode: 404 })).toHaveLength(1);
    expect(await t.audit.queryApiCalls({ transactionId: 'manual-1' })).toHaveLength(1);
  });
});
