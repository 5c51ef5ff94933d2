import { type TrailRows, checkoutTrailProblem, trailLines } from './trail-printout';

const checkout = (orderId: number): TrailRows => ({
  dataLogs: [
    { action: 'create', entityType: 'orders', entityId: String(orderId) },
    { action: 'update', entityType: 'orders', entityId: String(orderId) },
    { action: 'update', entityType: 'orders', entityId: String(orderId) },
  ],
  apiLogs: [
    { method: 'POST', service: 'bca', endpoint: '/v1/transfer', durationMs: 842 },
    { method: 'POST', service: 'jne', endpoint: '/v2/shipments', durationMs: 430 },
  ],
});

describe('trailLines', () => {
  it('prints one line per row: data rows first, then API rows', () => {
    expect(trailLines(checkout(7))).toEqual([
      '[data] create orders#7',
      '[data] update orders#7',
      '[data] update orders#7',
      '[api] POST bca /v1/transfer (842 ms)',
      '[api] POST jne /v2/shipments (430 ms)',
    ]);
  });
});

describe('checkoutTrailProblem', () => {
  it('finds nothing wrong with a complete checkout trail, whatever the durations', () => {
    expect(checkoutTrailProblem(checkout(7), 7)).toBeUndefined();
  });

  it('says what the trail should read when a row is missing, extra or of another order', () => {
    const missing = checkout(7);
    missing.apiLogs.pop();
    expect(checkoutTrailProblem(missing, 7)).toMatch(/should read[\s\S]*jne[\s\S]*but reads(?![\s\S]*jne)/);
    const extra = checkout(7);
    extra.apiLogs.push({ method: 'GET', service: 'bca', endpoint: '/v1/balance', durationMs: 1 });
    expect(checkoutTrailProblem(extra, 7)).toContain('/v1/balance');
    expect(checkoutTrailProblem(checkout(8), 7)).toContain('orders#8');
    expect(checkoutTrailProblem({ dataLogs: [], apiLogs: [] }, 7)).toContain('(nothing)');
  });
});
