import request from 'supertest';
import { type GatewaySandbox, startGatewaySandbox } from '../../apps/shop/src/sandbox/gateway-sandbox';

const transfer = (amount: string, extra: Record<string, unknown> = {}) => ({
  reference_id: 'ORDER-1',
  amount,
  currency: 'IDR',
  beneficiary: { account_number: '0611104625', name: 'PT Toko Contoh' },
  ...extra,
});

describe('shop: the gateway sandbox', () => {
  let sandbox: GatewaySandbox;

  beforeAll(async () => {
    sandbox = await startGatewaySandbox({ latency: { min: 0, max: 0 } });
  });
  afterAll(() => sandbox?.close());

  it('listens on loopback ports of its own', () => {
    expect(sandbox.bca.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sandbox.jne.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sandbox.bca.url).not.toBe(sandbox.jne.url);
  });

  it('answers 401 in the gateway’s own error format without an Authorization header of its scheme', async () => {
    const bare = await request(sandbox.bca.url).post('/v1/transfer').send(transfer('10.00')).expect(401);
    expect(bare.body).toEqual({
      error_code: 'ESB-14-009',
      error_message: expect.objectContaining({ english: expect.stringContaining('Authorization') }),
    });
    await request(sandbox.bca.url)
      .post('/v1/transfer')
      .set('Authorization', 'Bearer ')
      .send(transfer('10.00'))
      .expect(401);
    await request(sandbox.jne.url)
      .post('/v2/shipments')
      .set('Authorization', 'Bearer x')
      .send({ reference: 'ORDER-1' })
      .expect(401, {
        error: { code: 'UNAUTHORIZED', message: 'Missing or invalid Authorization header (expected Basic)' },
      });
  });

  it('transfers with a BCA transaction ID, and declines amounts ending in .13 or a forced failure', async () => {
    const ok = await request(sandbox.bca.url)
      .post('/v1/transfer')
      .set('Authorization', 'Bearer k')
      .send(transfer('150000.00'))
      .expect(200);
    expect(ok.body).toMatchObject({
      transaction_id: expect.stringMatching(/^\d{16}$/),
      reference_id: 'ORDER-1',
      status: 'SUCCESS',
      amount: '150000.00',
      beneficiary: { account_number: '0611104625' },
    });
    for (const body of [transfer('99.13'), transfer('10.00', { force_failure: true })]) {
      const declined = await request(sandbox.bca.url)
        .post('/v1/transfer')
        .set('Authorization', 'Bearer k')
        .send(body)
        .expect(422);
      expect(declined.body.error_code).toBe('ESB-82-005');
    }
    await request(sandbox.bca.url)
      .post('/v1/transfer')
      .set('Authorization', 'Bearer k')
      .send({ amount: 5 })
      .expect(400);
  });

  it('books a shipment with a waybill number, and refuses goods values ending in .14', async () => {
    const booked = await request(sandbox.jne.url)
      .post('/v2/shipments')
      .set('Authorization', 'Basic k')
      .send({ reference: 'ORDER-1', origin: 'CGK10000', goods: { value: '10.00' } })
      .expect(201);
    expect(booked.body).toMatchObject({ awb: expect.stringMatching(/^CGK\d{13}$/), status: 'BOOKED' });
    await request(sandbox.jne.url)
      .post('/v2/shipments')
      .set('Authorization', 'Basic k')
      .send({ reference: 'ORDER-1', goods: { value: '10.14' } })
      .expect(422);
  });

  it('answers 404 for an unknown route, 400 for a body that is not JSON, and records what it received', async () => {
    await request(sandbox.jne.url).get('/v2/nothing').set('Authorization', 'Basic k').expect(404);
    await request(sandbox.jne.url)
      .post('/v2/shipments')
      .set('Authorization', 'Basic k')
      .set('Content-Type', 'application/json')
      .send('{not json')
      .expect(400);
    expect(sandbox.jne.received.at(-1)).toMatchObject({ method: 'GET', path: '/v2/nothing' });
  });
});
