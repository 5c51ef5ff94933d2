import { HttpModule, HttpService } from '@nestjs/axios';
import { Injectable, Module } from '@nestjs/common';
import axios from 'axios';
import { firstValueFrom } from 'rxjs';
import { Product } from '../support/product.entity';
import { type TestApp, createTestApp, describeEachDialect } from '../support/test-app';
import { type LoopbackServer, json, startLoopbackServer } from './loopback-server';

// The feature modules read their base URL from here: the loopback port is known only at run time.
const gatewayUrl = { value: '' };

@Injectable()
class PaymentClient {
  constructor(readonly http: HttpService) {}
  pay() {
    return firstValueFrom(this.http.post(`${gatewayUrl.value}/v1/transfer`, { amount: 1 }));
  }
}

@Module({
  imports: [HttpModule.register({ timeout: 5000 })],
  providers: [PaymentClient],
  exports: [PaymentClient],
})
class PaymentModule {}

@Injectable()
class ShippingClient {
  constructor(readonly http: HttpService) {}
  ship() {
    return firstValueFrom(this.http.post('/v2/shipments', { weight: 2 }));
  }
}

@Module({
  imports: [HttpModule.registerAsync({ useFactory: () => ({ baseURL: `${gatewayUrl.value}/jne` }) })],
  providers: [ShippingClient],
  exports: [ShippingClient],
})
class ShippingModule {}

@Injectable()
class IdentityClient {
  constructor(readonly http: HttpService) {}
  verify() {
    return firstValueFrom(this.http.get(`${gatewayUrl.value}/id/verify`));
  }
}

@Module({
  imports: [HttpModule.register({ headers: { 'X-Client': 'identity' } })],
  providers: [IdentityClient],
  exports: [IdentityClient],
})
class IdentityModule {}

/** Provided by the root module, so it gets the default HttpModule's HttpService. */
@Injectable()
class RootClient {
  constructor(readonly http: HttpService) {}
}

describeEachDialect('API trail across HttpModule instances', (dialect) => {
  let gateway: LoopbackServer;
  let t: TestApp;

  beforeAll(async () => {
    gateway = await startLoopbackServer({
      'POST /v1/transfer': (_request, response) => json(response, 200, { ok: true }),
      'POST /jne/v2/shipments': (_request, response) => json(response, 200, { awb: 'A1' }),
      'GET /id/verify': (_request, response) => json(response, 200, { verified: true }),
      'GET /ping': (_request, response) => json(response, 200, { pong: true }),
    });
    gatewayUrl.value = gateway.url;
    t = await createTestApp({
      dialect,
      entities: [Product],
      imports: [HttpModule, PaymentModule, ShippingModule, IdentityModule],
      providers: [RootClient],
      audit: {
        apiAudit: {
          enabled: true,
          services: { [`${gateway.url}/jne`]: 'jne', [gateway.url]: 'gateway' },
        },
      },
    });
  });

  afterAll(async () => {
    await t?.close();
    await gateway?.close();
  });

  it('records each call exactly once, whichever HttpService made it', async () => {
    const payments = t.app.get(PaymentClient);
    const shipping = t.app.get(ShippingClient);
    const identity = t.app.get(IdentityClient);
    const root = t.app.get(RootClient).http;
    // Three distinct axios instances plus axios's global one behind the default HttpModule.
    const instances = new Set([payments.http.axiosRef, shipping.http.axiosRef, identity.http.axiosRef, root.axiosRef]);
    expect(instances.size).toBe(4);
    expect(root.axiosRef).toBe(axios);

    await payments.pay();
    await shipping.ship();
    await identity.verify();
    await firstValueFrom(root.get(`${gateway.url}/ping`));
    await t.audit.flushApiCalls();

    const rows = await t.audit.queryApiCalls({});
    expect(rows.map((row) => `${row.method} ${row.service} ${row.endpoint}`).sort()).toEqual([
      'GET gateway /id/verify',
      'GET gateway /ping',
      'POST gateway /v1/transfer',
      'POST jne /jne/v2/shipments',
    ]);
    expect(rows.find((row) => row.endpoint === '/id/verify')?.requestHeaders?.['X-Client']).toBe('identity');
    expect(gateway.received).toHaveLength(4);
  });

  it('hooks an axios instance once however many times the module is built, and unhooks it on close', async () => {
    const before = (await t.audit.queryApiCalls({ service: 'gateway' })).length;
    // A second application in the same process hooks the same global axios instance again: while
    // both run, the latest started records, and only it.
    const second = await createTestApp({
      dialect,
      entities: [Product],
      imports: [HttpModule],
      audit: { apiAudit: { enabled: true } },
    });
    try {
      await firstValueFrom(second.app.get(HttpService).get(`${gateway.url}/ping`));
      await second.audit.flushApiCalls();
      expect(await second.audit.queryApiCalls({ service: gateway.url.slice('http://'.length) })).toHaveLength(1);
    } finally {
      await second.close();
    }
    expect(await t.audit.queryApiCalls({ service: 'gateway' })).toHaveLength(before);
    // The first application records again, once, after the second closed.
    await firstValueFrom(t.app.get(RootClient).http.get(`${gateway.url}/ping`));
    await t.audit.flushApiCalls();
    expect(await t.audit.queryApiCalls({ service: 'gateway' })).toHaveLength(before + 1);
  });
});
