import { apiQuery, formatRoute, parseRoute, type Route } from './route';

describe('explorer routes', () => {
  it.each<[string, Route]>([
    ['', { view: 'search', params: {} }],
    [
      '#/search?trail=api&service=bca&status=502',
      { view: 'search', params: { trail: 'api', service: 'bca', status: '502' } },
    ],
    [
      '#/transactions/20250101T000000-abc',
      { view: 'transaction', transactionId: '20250101T000000-abc', open: undefined },
    ],
    ['#/transactions/tx-1?open=data-7', { view: 'transaction', transactionId: 'tx-1', open: 'data-7' }],
    ['#/entities/orders/42', { view: 'entity', entityType: 'orders', entityId: '42', at: undefined }],
    [
      '#/entities/orders/42?at=2025-01-01T00%3A00%3A00.000Z',
      { view: 'entity', entityType: 'orders', entityId: '42', at: '2025-01-01T00:00:00.000Z' },
    ],
  ])('reads %j', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  it('writes links that read back to the same view, whatever the characters in ids', () => {
    const routes: Route[] = [
      { view: 'transaction', transactionId: 'a:b.c_d-e', open: 'api-3' },
      { view: 'entity', entityType: 'order items', entityId: 'x/y?z#1&2', at: '2025-05-05T05:05:05.005Z' },
      { view: 'search', params: { trail: 'data', entityType: 'orders', beforeId: '120', userId: 'u&1=2' } },
    ];
    for (const route of routes) expect(parseRoute(formatRoute(route))).toEqual(route);
    expect(formatRoute(routes[1])).toBe('#/entities/order%20items/x%2Fy%3Fz%231%262?at=2025-05-05T05%3A05%3A05.005Z');
  });

  it('drops unknown and empty search fields, and a path it cannot decode falls back to search', () => {
    expect(parseRoute('#/search?trail=data&evil=1&userId=')).toEqual({ view: 'search', params: { trail: 'data' } });
    expect(parseRoute('#/transactions/%E0%A4%A')).toEqual({ view: 'search', params: {} });
  });

  it("sends only the chosen trail's fields, and an export drops the page size and cursor", () => {
    const params = {
      trail: 'api',
      service: 'bca',
      entityType: 'orders',
      action: 'update',
      userId: 'u1',
      limit: '20',
      beforeId: '99',
    };
    expect(apiQuery(params, 'page').toString()).toBe('trail=api&userId=u1&service=bca&limit=20&beforeId=99');
    expect(apiQuery(params, 'export').toString()).toBe('trail=api&userId=u1&service=bca');
    expect(apiQuery({ ...params, trail: 'data' }, 'export').toString()).toBe(
      'trail=data&entityType=orders&action=update&userId=u1',
    );
    expect(apiQuery({}, 'page').toString()).toBe('trail=data');
  });
});
