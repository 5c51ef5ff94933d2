import { matchedRouteOf, pathOf, refineRequestMetadata, requestMetadataOf } from './request-metadata';

const OFF = { recordIp: false, recordUserAgent: false };
const ON = { recordIp: true, recordUserAgent: true };

describe('pathOf', () => {
  it.each([
    ['/orders/7?token=secret', '/orders/7'],
    ['/orders/7#fragment', '/orders/7'],
    ['/orders?email=a@b.c&x=1', '/orders'],
    ['/?q', '/'],
    ['?only=query', '/'],
    ['', '/'],
    [undefined, '/'],
  ])('%j -> %j (query strings carry secrets)', (url, path) => {
    expect(pathOf(url)).toBe(path);
  });

  it('bounds a long path to 500 characters', () => {
    expect(pathOf(`/${'a'.repeat(1000)}`)).toHaveLength(500);
  });
});

describe('requestMetadataOf', () => {
  const request = {
    method: 'post',
    url: '/',
    originalUrl: '/orders/7?coupon=X',
    ip: '10.0.0.9',
    socket: { remoteAddress: '127.0.0.1' },
    headers: { 'user-agent': 'curl/8.0' },
  };

  it('records method and path only, by default', () => {
    expect(requestMetadataOf(request, OFF)).toEqual({ method: 'POST', route: '/orders/7' });
  });

  it('adds IP and user agent when enabled, preferring the framework IP over the socket address', () => {
    expect(requestMetadataOf(request, ON)).toEqual({
      method: 'POST',
      route: '/orders/7',
      ip: '10.0.0.9',
      user_agent: 'curl/8.0',
    });
  });

  it('falls back to the socket address and the URL on a raw Node request', () => {
    const raw = { method: 'GET', url: '/health?x=1', socket: { remoteAddress: '::1' }, headers: {} };

    expect(requestMetadataOf(raw, ON)).toEqual({ method: 'GET', route: '/health', ip: '::1' });
  });

  it('leaves out an absent or repeated user agent, and bounds a long one', () => {
    expect(requestMetadataOf({ headers: { 'user-agent': ['a', 'b'] } }, ON)).not.toHaveProperty('user_agent');
    expect(requestMetadataOf({ headers: { 'user-agent': 'x'.repeat(2000) } }, ON).user_agent).toHaveLength(500);
  });
});

describe('matchedRouteOf', () => {
  it('reads the Fastify route pattern', () => {
    expect(matchedRouteOf({ routeOptions: { url: '/orders/:id' } })).toBe('/orders/:id');
  });

  it('reads the Express route, under its router mount path', () => {
    expect(matchedRouteOf({ route: { path: '/orders/:id' } })).toBe('/orders/:id');
    expect(matchedRouteOf({ baseUrl: '/v1', route: { path: '/orders/:id' } })).toBe('/v1/orders/:id');
  });

  it('knows none before routing, on a 404, or for a RegExp route', () => {
    expect(matchedRouteOf({ url: '/orders/7' })).toBeUndefined();
    expect(matchedRouteOf({ routeOptions: {} })).toBeUndefined();
    expect(matchedRouteOf({ route: { path: /orders/ } })).toBeUndefined();
  });
});

describe('refineRequestMetadata', () => {
  const current = { method: 'GET', route: '/orders/7', ip: '127.0.0.1' };

  it('replaces the path with the matched pattern and keeps the rest', () => {
    expect(refineRequestMetadata(current, { route: { path: '/orders/:id' } }, OFF)).toEqual({
      method: 'GET',
      route: '/orders/:id',
      ip: '127.0.0.1',
    });
  });

  it('keeps the path when no route matched', () => {
    expect(refineRequestMetadata(current, {}, OFF)).toEqual(current);
  });

  it("takes the framework's client IP (trust-proxy aware) only when IPs are recorded", () => {
    expect(refineRequestMetadata(current, { ip: '203.0.113.7' }, ON).ip).toBe('203.0.113.7');
    expect(refineRequestMetadata({ method: 'GET', route: '/' }, { ip: '203.0.113.7' }, OFF)).not.toHaveProperty('ip');
  });

  it('does not change the metadata it was given', () => {
    const before = { ...current };
    refineRequestMetadata(current, { route: { path: '/orders/:id' }, ip: '203.0.113.7' }, ON);

    expect(current).toEqual(before);
  });
});
