import { CallTargetPatternError, ServiceNames, SkipRules, axiosCallUrl, endpointOf, parseUrl } from './call-target';

const url = (text: string): URL => new URL(text);

describe('axiosCallUrl', () => {
  it('appends a relative url to the base URL, keeping the base path (as axios does)', () => {
    expect(axiosCallUrl('/v1/transfer', 'https://api.bca.co.id/gw')?.href).toBe('https://api.bca.co.id/gw/v1/transfer');
    expect(axiosCallUrl('v1/transfer', 'https://api.bca.co.id/gw/')?.href).toBe('https://api.bca.co.id/gw/v1/transfer');
    expect(axiosCallUrl(undefined, 'http://127.0.0.1:4010')?.href).toBe('http://127.0.0.1:4010/');
  });

  it('takes an absolute url as it is, unless allowAbsoluteUrls is false', () => {
    expect(axiosCallUrl('https://jne.co.id/v2/shipments', 'https://api.bca.co.id')?.host).toBe('jne.co.id');
    expect(axiosCallUrl('https://jne.co.id/x', 'https://api.bca.co.id', false)?.href).toBe(
      'https://api.bca.co.id/https://jne.co.id/x',
    );
  });

  it('gives undefined for a relative url without a base', () => {
    expect(axiosCallUrl('/v1/transfer', undefined)).toBeUndefined();
  });
});

describe('endpointOf', () => {
  it('keeps the path only: no query string, no fragment', () => {
    expect(endpointOf(url('https://api.bca.co.id/v1/transfer?api_key=secret&card=4111#x'))).toBe('/v1/transfer');
    expect(endpointOf(url('https://api.bca.co.id'))).toBe('/');
  });

  it('falls back to the path-looking part of a URL that does not parse', () => {
    expect(endpointOf(undefined, '/v1/transfer?token=secret')).toBe('/v1/transfer');
    expect(endpointOf(undefined, 'http://bad host/v1/x?token=secret')).toBe('/v1/x');
    expect(endpointOf(undefined, '')).toBe('/');
    expect(parseUrl('/relative')).toBeUndefined();
  });
});

describe('ServiceNames', () => {
  const names = new ServiceNames({
    'api.bca.co.id': 'bca',
    'https://api.bca.co.id/v2': 'bca-v2',
    'http://127.0.0.1:4010': 'loopback-4010',
    '127.0.0.1': 'loopback',
    'jne.co.id:8443': 'jne-admin',
  });

  it('maps a host, at any port', () => {
    expect(names.nameFor(url('https://api.bca.co.id/v1/transfer'))).toBe('bca');
    expect(names.nameFor(url('http://API.BCA.co.id:8080/v1'))).toBe('bca');
  });

  it('prefers the most specific key: a base URL with its path, then scheme and port', () => {
    expect(names.nameFor(url('https://api.bca.co.id/v2/transfer'))).toBe('bca-v2');
    expect(names.nameFor(url('https://api.bca.co.id/v2'))).toBe('bca-v2');
    // A path prefix matches whole segments only, and the scheme must match too.
    expect(names.nameFor(url('https://api.bca.co.id/v2beta'))).toBe('bca');
    expect(names.nameFor(url('http://api.bca.co.id/v2/transfer'))).toBe('bca');
    expect(names.nameFor(url('http://127.0.0.1:4010/x'))).toBe('loopback-4010');
    expect(names.nameFor(url('http://127.0.0.1:5000/x'))).toBe('loopback');
  });

  it('matches a host:port key on that port only', () => {
    expect(names.nameFor(url('https://jne.co.id:8443/v2'))).toBe('jne-admin');
    expect(names.nameFor(url('https://jne.co.id/v2'))).toBe('jne.co.id');
  });

  it('falls back to the host, with its port when not the default', () => {
    expect(names.nameFor(url('https://api.stripe.com/v1/charges'))).toBe('api.stripe.com');
    expect(names.nameFor(url('http://10.0.0.5:9000/'))).toBe('10.0.0.5:9000');
    expect(names.nameFor(undefined)).toBe('unknown');
  });

  it('lets a per-call override win over everything', () => {
    expect(names.nameFor(url('https://api.bca.co.id/v2/x'), 'bca-sandbox')).toBe('bca-sandbox');
    expect(names.nameFor(url('https://api.bca.co.id/v1'), '  ')).toBe('bca');
    expect(names.nameFor(url('https://api.bca.co.id/v1'), 42)).toBe('bca');
  });

  it('rejects a key that is not a host, host:port or base URL', () => {
    expect(() => new ServiceNames({ 'http://': 'x' })).toThrow(CallTargetPatternError);
    expect(() => new ServiceNames({ 'api.bca.co.id/?q=1': 'x' })).toThrow(CallTargetPatternError);
    expect(() => new ServiceNames({ 'user:pw@host': 'x' })).toThrow(CallTargetPatternError);
  });
});

describe('SkipRules', () => {
  const rules = new SkipRules(['metrics.internal', '127.0.0.1:9999', 'https://telemetry.example.com'], ['/health']);

  it('skips listed hosts: a bare host at any port, host:port on that port, a URL key by scheme and host', () => {
    expect(rules.skips(url('http://metrics.internal/push'))).toBe(true);
    expect(rules.skips(url('http://metrics.internal:8125/push'))).toBe(true);
    expect(rules.skips(url('http://127.0.0.1:9999/anything'))).toBe(true);
    expect(rules.skips(url('http://127.0.0.1:9998/anything'))).toBe(false);
    expect(rules.skips(url('https://telemetry.example.com/v1/traces'))).toBe(true);
    expect(rules.skips(url('http://telemetry.example.com/v1/traces'))).toBe(false);
    expect(rules.skips(url('https://sub.metrics.internal/push'))).toBe(false);
  });

  it('skips paths that start with a listed path, as plain text', () => {
    expect(rules.skips(url('https://api.bca.co.id/health'))).toBe(true);
    expect(rules.skips(url('https://api.bca.co.id/healthz?x=1'))).toBe(true);
    expect(rules.skips(url('https://api.bca.co.id/v1/health'))).toBe(false);
  });

  it('records what it cannot parse rather than dropping it', () => {
    expect(rules.skips(undefined)).toBe(false);
  });
});
