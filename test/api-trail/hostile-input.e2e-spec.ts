import { HttpModule, HttpService } from '@nestjs/axios';
import type { ServerResponse } from 'node:http';
import { firstValueFrom } from 'rxjs';
import { type ApiLog, REDACTED } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { type TestApp, createTestApp, describeEachDialect } from '../support/test-app';
import { type LoopbackServer, json, startLoopbackServer } from './loopback-server';

const DEEP_RESPONSE = '['.repeat(10_000) + ']'.repeat(10_000);
const DEEP_REQUEST = '['.repeat(3_000) + ']'.repeat(3_000);

/** Streams 64 KB chunks as fast as the client takes them, for at most 4 s; counts what it wrote. */
function endless(stats: { written: number; closed: boolean }) {
  return (_request: unknown, response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const stopAt = Date.now() + 4000;
    const pump = (): void => {
      while (!response.destroyed && Date.now() < stopAt) {
        stats.written += chunk.length;
        if (!response.write(chunk)) {
          response.once('drain', pump);
          return;
        }
      }
      if (!response.destroyed) response.end();
    };
    response.on('close', () => (stats.closed = true));
    pump();
  };
}

describeEachDialect('API trail hostile input', (dialect) => {
  let gateway: LoopbackServer;
  let t: TestApp;
  const cancelled = { written: 0, closed: false };
  const unread = { written: 0, closed: false };

  beforeAll(async () => {
    gateway = await startLoopbackServer({
      'GET /deep': (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(DEEP_RESPONSE);
      },
      'POST /deep-in': (_request, response) => {
        response.writeHead(204);
        response.end();
      },
      'GET /endless-cancelled': endless(cancelled),
      'GET /endless-unread': endless(unread),
      'POST /form': (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' });
        response.end('access_token=tok-9f8e7d6c&token_type=bearer&scope=pay');
      },
      'GET /cred': (_request, response) => json(response, 200, {}),
      'POST /login': (_request, response) =>
        json(response, 200, { access_token: 'resp-at-1234', refreshToken: 'resp-rt-5678', user: 'ani' }),
    });
    t = await createTestApp({
      dialect,
      entities: [Product],
      imports: [HttpModule],
      audit: {
        apiAudit: {
          enabled: true,
          redactBodyFields: ['card_number', 'access_token'],
          services: { [gateway.url]: 'gw' },
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
    return (await t.audit.queryApiCalls({ service: 'gw' })).filter((row) => row.endpoint === endpoint);
  }

  it('defect 1: a 10,000-level JSON response through fetch leaves a row and no crash', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const response = await fetch(`${gateway.url}/deep`);
      expect(await response.text()).toBe(DEEP_RESPONSE);
      const [row] = await rowsFor('/deep');
      expect(row).toMatchObject({ statusCode: 200 });
      expect(JSON.stringify(row.responseBody)).toContain('[Too deep]');
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('defect 1: a deeply nested request body answered by 204 resolves the caller, through fetch and axios', async () => {
    const response = await fetch(`${gateway.url}/deep-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: DEEP_REQUEST,
    });
    expect(response.status).toBe(204);
    await firstValueFrom(
      t.app.get(HttpService).post(`${gateway.url}/deep-in`, DEEP_REQUEST, {
        headers: { 'content-type': 'application/json' },
      }),
    );
    const rows = await rowsFor('/deep-in');
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(JSON.stringify(row.requestBody)).toContain('[Too deep]');
  });

  it('defect 2: cancelling a fetch body resolves and stops the download', async () => {
    const response = await fetch(`${gateway.url}/endless-cancelled`);
    const reader = response.body!.getReader();
    await reader.read();
    const cancel = reader.cancel();
    const outcome = await Promise.race([
      cancel.then(() => 'resolved'),
      new Promise((resolve) => setTimeout(() => resolve('still pending after 1 s'), 1000)),
    ]);
    expect(outcome).toBe('resolved');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(cancelled.closed).toBe(true);
    expect(cancelled.written).toBeLessThan(32 * 1024 * 1024);
    const [row] = await rowsFor('/endless-cancelled');
    expect(row.statusCode).toBe(200);
  });

  it('defect 2: a body the caller does not read is not downloaded behind its back', async () => {
    const response = await fetch(`${gateway.url}/endless-unread`);
    expect(response.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Socket buffers plus the capture's bounded read-ahead; the clone used to pull hundreds of MB.
    expect(unread.written).toBeLessThan(32 * 1024 * 1024);
    await response.body!.cancel();
    const [row] = await rowsFor('/endless-unread');
    expect(row.statusCode).toBe(200);
  });

  it('defect 6: URL-encoded request and response bodies are redacted (string, URLSearchParams, axios)', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    await (
      await fetch(`${gateway.url}/form`, { method: 'POST', headers: form, body: 'card_number=4111111111111111&n=1' })
    ).text();
    await (
      await fetch(`${gateway.url}/form`, {
        method: 'POST',
        body: new URLSearchParams({ card_number: '4222222222222222', n: '2' }),
      })
    ).text();
    await firstValueFrom(
      t.app
        .get(HttpService)
        .post(`${gateway.url}/form`, new URLSearchParams({ card_number: '4333333333333333', n: '3' })),
    );
    await firstValueFrom(
      t.app.get(HttpService).post(`${gateway.url}/form`, { card_number: '4444444444444444', n: 4 }, { headers: form }),
    );
    const rows = await rowsFor('/form');
    expect(rows).toHaveLength(4);
    const stored = JSON.stringify(rows);
    expect(stored).not.toMatch(/4111111111111111|4222222222222222|4333333333333333|4444444444444444|tok-9f8e7d6c/);
    expect(stored).toContain('card_number=***REDACTED***');
    expect(stored).toContain('token_type=bearer');
  });

  it('defect 7: credentials in a fetch URL never reach error_message', async () => {
    const withCredentials = gateway.url.replace('http://', 'http://ani:pa55-w0rd-x@');
    await expect(fetch(`${withCredentials}/cred`)).rejects.toThrow();
    const [row] = await rowsFor('/cred');
    expect(row.statusCode).toBe(0);
    expect(row.errorMessage).toBeTruthy();
    expect(JSON.stringify(row)).not.toContain('pa55-w0rd-x');
  });

  it('defect 8: with no lists configured, credentials and secrets are redacted by default', async () => {
    await (
      await fetch(`${gateway.url}/login`, {
        method: 'POST',
        headers: {
          Authorization: 'Bearer hdr-auth-1',
          Cookie: 'sid=hdr-cookie-2',
          'X-Api-Key': 'hdr-key-3',
          'X-Client-Token': 'hdr-token-4',
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({
          user: 'ani',
          password: 'body-pw-5',
          card: { 'card-number': '4555555555555555', CVV: '123', clientSecret: 'body-cs-6' },
          api_key: 'body-ak-7',
        }),
      })
    ).json();
    const [row] = await rowsFor('/login');
    const stored = JSON.stringify(row);
    expect(stored).not.toMatch(/hdr-auth-1|hdr-cookie-2|hdr-key-3|hdr-token-4|body-pw-5|4555555555555555|body-cs-6/);
    expect(stored).not.toMatch(/body-ak-7|resp-at-1234|resp-rt-5678|"123"/);
    expect(row.requestHeaders).toMatchObject({ authorization: REDACTED, cookie: REDACTED });
    expect(row.requestBody).toMatchObject({ user: 'ani', password: REDACTED });
  });
});

describeEachDialect('API trail default redaction opt-out', (dialect) => {
  it('defect 8: apiAudit.defaultRedaction false stores what the lists do not name', async () => {
    const gateway = await startLoopbackServer({ 'POST /login': (_request, response) => json(response, 200, {}) });
    const t = await createTestApp({
      dialect,
      entities: [Product],
      audit: { apiAudit: { enabled: true, defaultRedaction: false, redactBodyFields: ['pin'] } as never },
    });
    try {
      await (
        await fetch(`${gateway.url}/login`, {
          method: 'POST',
          headers: { Authorization: 'Bearer clear-1', 'content-type': 'application/json' },
          body: JSON.stringify({ password: 'clear-2', pin: '9999' }),
        })
      ).json();
      await t.audit.flushApiCalls();
      const [row] = await t.audit.queryApiCalls({});
      expect(row.requestHeaders).toMatchObject({ authorization: 'Bearer clear-1' });
      expect(row.requestBody).toEqual({ password: 'clear-2', pin: REDACTED });
    } finally {
      await t.close();
      await gateway.close();
    }
  });
});
