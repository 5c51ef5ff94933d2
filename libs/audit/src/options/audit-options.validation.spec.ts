import { AuditOptionsError, resolveAuditOptions } from './audit-options.validation';

describe('resolveAuditOptions', () => {
  it('fills every default (SPEC.md "Options and validation")', () => {
    const options = resolveAuditOptions({ dataAudit: { enabled: true } });
    expect(options.dataAudit).toEqual({
      enabled: true,
      table: 'audit_logs',
      excludeFields: new Set(),
      excludeEntities: new Set(),
      skipOldValues: false,
      onError: 'fail-loud',
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
    });
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
