import { AuditOptionsError, resolveAuditOptions } from './audit-options.validation';

describe('resolveAuditOptions', () => {
  it('fills every default (docs/behaviour.md, "Options")', () => {
    const options = resolveAuditOptions({ dataAudit: { enabled: true } });
    expect(options.dataAudit).toEqual({
      enabled: true,
      table: 'audit_logs',
      excludeFields: new Set(),
      excludeEntities: new Set(),
      skipOldValues: false,
      onError: 'fail-loud',
      capture: 'orm',
      rawSql: 'warn',
    });
    expect(options.apiAudit).toMatchObject({
      enabled: false,
      table: 'audit_api_logs',
      maxBodySize: 4096,
      onError: 'fail-loud',
    });
    expect(options.apiAudit.propagateHeader).toBe('X-Transaction-Id');
    expect(options.transaction).toEqual({
      header: 'X-Transaction-Id',
      mount: true,
      recordIp: false,
      recordUserAgent: false,
      requestIdHeaders: [],
    });
    expect(options.apiAudit.defaultRedaction).toBe(true);
    expect(options.retention).toMatchObject({
      enabled: false,
      maxAge: '365d',
      maxAgeMs: 365 * 86_400_000,
      cron: '0 3 * * *',
    });
    expect(options.autoMigrate).toBe(true);
  });

  it.each<[string, unknown, RegExp]>([
    ['no trail', {}, /dataAudit.enabled \/ apiAudit.enabled must enable at least one trail/],
    [
      'a table name with a space',
      { dataAudit: { enabled: true, table: 'bad name' } },
      /option dataAudit.table must match \^\[A-Za-z_\]/,
    ],
    [
      'a quoted table name',
      { apiAudit: { enabled: true, table: 'x"; DROP TABLE y' } },
      /option apiAudit.table must match/,
    ],
    ['a 64-character table name', { dataAudit: { enabled: true, table: 'a'.repeat(64) } }, /dataAudit.table/],
    [
      'an unknown onError',
      { dataAudit: { enabled: true, onError: 'ignore' } },
      /dataAudit.onError must be one of fail-loud, fail-silent/,
    ],
    [
      'excludeFields not strings',
      { dataAudit: { enabled: true, excludeFields: [1] } },
      /dataAudit.excludeFields must be an array/,
    ],
    [
      'a fractional maxBodySize',
      { apiAudit: { enabled: true, maxBodySize: 1.5 } },
      /apiAudit.maxBodySize must be an integer/,
    ],
    [
      'a header with a space',
      { dataAudit: { enabled: true }, transaction: { header: 'X Id' } },
      /transaction.header must be an HTTP header name/,
    ],
    [
      'same table twice',
      { dataAudit: { enabled: true }, apiAudit: { enabled: true, table: 'AUDIT_LOGS' } },
      /apiAudit.table must differ/,
    ],
    [
      'a bad maxAge',
      { dataAudit: { enabled: true }, retention: { maxAge: '1y' } },
      /retention.maxAge must be a positive duration/,
    ],
    [
      'a short cron',
      { dataAudit: { enabled: true }, retention: { cron: '* *' } },
      /retention.cron must be a cron expression/,
    ],
    [
      'a userResolver that is no function',
      { dataAudit: { enabled: true }, userResolver: 'me' },
      /userResolver must be a function/,
    ],
    ['enabled as a string', { dataAudit: { enabled: 'yes' } }, /dataAudit.enabled must be true or false/],
  ])('rejects %s, naming the option and the rule', (_case, input, message) => {
    expect(() => resolveAuditOptions(input as never)).toThrow(AuditOptionsError);
    expect(() => resolveAuditOptions(input as never)).toThrow(message);
  });

  it('accepts a negative maxBodySize (truncation off) and 0 (the default)', () => {
    expect(resolveAuditOptions({ apiAudit: { enabled: true, maxBodySize: -1 } }).apiAudit.maxBodySize).toBe(-1);
    expect(resolveAuditOptions({ apiAudit: { enabled: true, maxBodySize: 0 } }).apiAudit.maxBodySize).toBe(0);
  });
});

describe('resolveAuditOptions: keys and values it refuses at start-up', () => {
  it.each<[string, unknown, RegExp]>([
    [
      'a typo of a data-trail key',
      { dataAudit: { enabled: true, excludeField: ['password'] } },
      /option dataAudit\.excludeField is unknown \(did you mean dataAudit\.excludeFields\?\)/,
    ],
    [
      'a typo of a top-level key',
      { dataAudit: { enabled: true }, retension: { maxAge: '30d' } },
      /option retension is unknown \(did you mean retention\?\)/,
    ],
    [
      'a key of another group',
      { apiAudit: { enabled: true, excludeFields: ['x'] } },
      /option apiAudit\.excludeFields is unknown \(did you mean /,
    ],
    [
      'a wrong case',
      { transaction: { Header: 'X-Id' }, dataAudit: { enabled: true } },
      /option transaction\.Header is unknown \(did you mean transaction\.header\?\)/,
    ],
    [
      'an unknown capture mode',
      { dataAudit: { enabled: true, capture: 'db' } },
      /dataAudit\.capture must be one of orm, database/,
    ],
    [
      'fail-silent with database capture, which the triggers cannot honour',
      { dataAudit: { enabled: true, capture: 'database', onError: 'fail-silent' } },
      /dataAudit\.onError cannot be 'fail-silent' with dataAudit\.capture 'database'/,
    ],
    [
      'skipOldValues with database capture, which the triggers cannot honour',
      { dataAudit: { enabled: true, capture: 'database', skipOldValues: true } },
      /dataAudit\.skipOldValues cannot be true with dataAudit\.capture 'database'/,
    ],
    [
      'an unknown rawSql policy',
      { dataAudit: { enabled: true, rawSql: 'loud' } },
      /dataAudit\.rawSql must be one of warn, error, ignore/,
    ],
    [
      'a request-ID header with a space',
      { dataAudit: { enabled: true }, transaction: { requestIdHeaders: ['X Request'] } },
      /transaction\.requestIdHeaders must be an array of HTTP header names/,
    ],
    [
      'defaultRedaction as a string',
      { apiAudit: { enabled: true, defaultRedaction: 'no' } },
      /apiAudit\.defaultRedaction must be true or false/,
    ],
  ])('#19 refuses %s, naming the key and the closest known one', (_case, input, message) => {
    expect(() => resolveAuditOptions(input as never)).toThrow(AuditOptionsError);
    expect(() => resolveAuditOptions(input as never)).toThrow(message);
  });

  it('#19 knows the capture, rawSql, defaultRedaction and requestIdHeaders options', () => {
    const options = resolveAuditOptions({
      dataAudit: { enabled: true, capture: 'database', rawSql: 'error' },
      apiAudit: { enabled: true, defaultRedaction: false },
      transaction: { requestIdHeaders: ['X-Request-Id', 'X-Correlation-Id'] },
    });
    expect(options.dataAudit).toMatchObject({ capture: 'database', rawSql: 'error' });
    expect(options.apiAudit.defaultRedaction).toBe(false);
    expect(options.transaction.requestIdHeaders).toEqual(['X-Request-Id', 'X-Correlation-Id']);
  });

  it.each(['999999999d', '365001d', '8760025h', `${'9'.repeat(30)}s`])('#16 refuses retention.maxAge %p', (maxAge) => {
    expect(() => resolveAuditOptions({ dataAudit: { enabled: true }, retention: { maxAge } })).toThrow(
      /option retention\.maxAge must be at most 365000d \(1,000 years\)/,
    );
  });

  it('#16 accepts a retention.maxAge of 1,000 years, whose cut-off is a valid date', () => {
    const { maxAgeMs } = resolveAuditOptions({
      dataAudit: { enabled: true },
      retention: { maxAge: '365000d' },
    }).retention;
    expect(Number.isNaN(new Date(Date.now() - maxAgeMs).getTime())).toBe(false);
  });

  it('#17 refuses an async userResolver: a row cannot wait for it', () => {
    expect(() =>
      resolveAuditOptions({
        dataAudit: { enabled: true },
        userResolver: (async () => ({ id: 'u', type: 'user' })) as never,
      }),
    ).toThrow(/option userResolver must return \{ id, type \} synchronously, not a Promise \(got an async function\)/);
  });
});
