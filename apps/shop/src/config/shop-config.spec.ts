import { ShopConfigError, databaseOptions, gatewayUrl, portFrom, shopConfigFromEnv } from './shop-config';

describe('databaseOptions', () => {
  it('is an embedded SQLite file without DATABASE_URL', () => {
    expect(databaseOptions(undefined, '/tmp/shop.sqlite')).toEqual({
      type: 'better-sqlite3',
      database: '/tmp/shop.sqlite',
    });
    expect(databaseOptions('  ', '/tmp/shop.sqlite')).toMatchObject({ type: 'better-sqlite3' });
  });

  it('reads postgres, postgresql, mysql and mariadb URLs', () => {
    expect(databaseOptions('postgres://u:p@db:5432/shop', 'x')).toEqual({
      type: 'postgres',
      url: 'postgres://u:p@db:5432/shop',
    });
    expect(databaseOptions('postgresql://db/shop', 'x')).toMatchObject({ type: 'postgres' });
    expect(databaseOptions('mysql://root@127.0.0.1:3306/shop', 'x')).toEqual({
      type: 'mysql',
      url: 'mysql://root@127.0.0.1:3306/shop',
      charset: 'utf8mb4',
    });
    expect(databaseOptions('mariadb://root@127.0.0.1:3306/shop', 'x')).toEqual({
      type: 'mariadb',
      url: 'mysql://root@127.0.0.1:3306/shop',
      charset: 'utf8mb4',
    });
  });

  it('names the variable for another scheme or a non-URL, without echoing the password', () => {
    expect(() => databaseOptions('mongodb://u:hunter2@db/shop', 'x')).toThrow(
      'DATABASE_URL must be a postgres://, postgresql://, mysql:// or mariadb:// URL (got mongodb://...)',
    );
    expect(() => databaseOptions('u:hunter2@db', 'x')).toThrow(ShopConfigError);
    expect(() => databaseOptions('not a url hunter2', 'x')).toThrow(/^DATABASE_URL .*does not parse/);
    expect(() => databaseOptions('not a url hunter2', 'x')).not.toThrow(/hunter2/);
  });
});

describe('gatewayUrl and portFrom', () => {
  it('keeps an http(s) base URL without its trailing slash', () => {
    expect(gatewayUrl('BCA_URL', 'https://sandbox.bca.co.id/')).toBe('https://sandbox.bca.co.id');
    expect(gatewayUrl('JNE_URL', 'http://127.0.0.1:4010/api/')).toBe('http://127.0.0.1:4010/api');
  });

  it.each(['ftp://bca', 'bca.co.id', 'https://bca.co.id/?key=1'])('refuses %j as a gateway URL', (value) => {
    expect(() => gatewayUrl('BCA_URL', value)).toThrow(/^BCA_URL must be an http:\/\/ or https:\/\/ base URL/);
  });

  it('reads a port, with a default and a range', () => {
    expect(portFrom('PORT', undefined, 3000)).toBe(3000);
    expect(portFrom('PORT', '', 3000)).toBe(3000);
    expect(portFrom('PORT', '0', 3000)).toBe(0);
    expect(portFrom('PORT', '8080', 3000)).toBe(8080);
    for (const bad of ['-1', '65536', '80.5', 'http']) {
      expect(() => portFrom('PORT', bad, 3000)).toThrow(/^PORT must be a port number from 0 to 65535/);
    }
  });
});

describe('shopConfigFromEnv', () => {
  const defaults = { bcaUrl: 'http://127.0.0.1:4001', jneUrl: 'http://127.0.0.1:4002', sqliteFile: '/tmp/s.sqlite' };

  it('uses the sandbox and its credentials when nothing is set', () => {
    expect(shopConfigFromEnv({}, defaults)).toEqual({
      database: { type: 'better-sqlite3', database: '/tmp/s.sqlite' },
      bca: { url: 'http://127.0.0.1:4001', authorization: 'Bearer sandbox-bca-key', accountNumber: '0611104625' },
      jne: { url: 'http://127.0.0.1:4002', authorization: `Basic ${btoa('tokocontoh:sandbox-jne-key')}` },
      gatewayTimeoutMs: 10_000,
    });
  });

  it('takes the environment over the defaults', () => {
    const config = shopConfigFromEnv(
      {
        BCA_URL: 'https://api.bca.co.id',
        BCA_API_KEY: 'live',
        BCA_ACCOUNT_NUMBER: '123',
        JNE_URL: 'https://apiv2.jne.co.id',
        JNE_USERNAME: 'toko',
        JNE_API_KEY: 'k',
        GATEWAY_TIMEOUT_MS: '2500',
      },
      { sqliteFile: 'x' },
    );
    expect(config).toMatchObject({
      bca: { url: 'https://api.bca.co.id', authorization: 'Bearer live', accountNumber: '123' },
      jne: { url: 'https://apiv2.jne.co.id', authorization: `Basic ${btoa('toko:k')}` },
      gatewayTimeoutMs: 2500,
    });
  });

  it('names what is missing or wrong', () => {
    expect(() => shopConfigFromEnv({ JNE_URL: 'http://j' }, { sqliteFile: 'x' })).toThrow(
      'BCA_URL must be set when the gateway sandbox is not started',
    );
    expect(() => shopConfigFromEnv({ GATEWAY_TIMEOUT_MS: 'soon' }, defaults)).toThrow(
      'GATEWAY_TIMEOUT_MS must be a positive whole number of milliseconds (got "soon")',
    );
  });
});
