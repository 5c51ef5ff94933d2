import {
  AuditQueryError,
  MAX_QUERY_LIMIT,
  checkApiLogFilter,
  checkDataLogFilter,
  checkPurgeOptions,
} from './query-filters';

describe('checkDataLogFilter / checkApiLogFilter', () => {
  it('passes a good filter through, dropping empty conditions and reading a numeric entityId as text', () => {
    const from = new Date('2026-01-01T00:00:00Z');
    expect(
      checkDataLogFilter({
        entityType: 'orders',
        entityId: 7 as never,
        userId: '',
        action: null as never,
        from,
        limit: 50,
      }),
    ).toEqual({ entityType: 'orders', entityId: '7', from, limit: 50 });
    expect(
      checkApiLogFilter({ service: 'bca', statusCode: 0, limit: MAX_QUERY_LIMIT, offset: 0, beforeId: 9 }),
    ).toEqual({
      service: 'bca',
      statusCode: 0,
      limit: MAX_QUERY_LIMIT,
      offset: 0,
      beforeId: 9,
    });
  });

  it('takes null and undefined as no filter', () => {
    expect(checkDataLogFilter(null)).toEqual({});
    expect(checkApiLogFilter(undefined)).toEqual({});
  });

  it.each<[unknown, RegExp]>([
    [
      { limit: -1 },
      /^nestjs-audit-trail: query: filter limit must be an integer from 1 to 1000, or 0 for no limit \(got -1\)$/,
    ],
    [{ limit: NaN }, /filter limit .*\(got NaN\)/],
    [{ limit: Infinity }, /filter limit .*\(got Infinity\)/],
    [{ limit: 1e21 }, /filter limit .*\(got 1e\+21\)/],
    [{ limit: 1001 }, /filter limit/],
    [{ offset: 0.5 }, /filter offset must be an integer >= 0/],
    [{ beforeId: '9' }, /filter beforeId must be the integer id of a row/],
    [{ from: '2026-01-01' }, /filter from must be a valid Date \(got "2026-01-01"\)/],
    [{ to: new Date(NaN) }, /filter to must be a valid Date \(got Invalid Date\)/],
    [{ action: 'upsert' }, /filter action must be one of create, update, delete, soft_delete, restore/],
    [{ userId: ['a', 'b'] }, /filter userId must be a string/],
    [{ entityTyp: 'x' }, /filter entityTyp is unknown \(did you mean entityType\?\)/],
    [[], /query: filter must be an object/],
  ])('#13 query refuses %p', (filter, message) => {
    expect(() => checkDataLogFilter(filter)).toThrow(AuditQueryError);
    expect(() => checkDataLogFilter(filter)).toThrow(message);
  });

  it('#13 queryApiCalls names itself and its own fields', () => {
    expect(() => checkApiLogFilter({ statusCode: 1000 })).toThrow(
      /queryApiCalls: filter statusCode must be an integer from 0 to 999/,
    );
    expect(() => checkApiLogFilter({ action: 'create' })).toThrow(/queryApiCalls: filter action is unknown/);
  });
});

describe('checkPurgeOptions', () => {
  it('passes good options, and takes null as the defaults', () => {
    expect(checkPurgeOptions({ dryRun: true, batchSize: 10 })).toEqual({ dryRun: true, batchSize: 10 });
    expect(checkPurgeOptions(null)).toEqual({});
    expect(checkPurgeOptions({ dryRun: undefined })).toEqual({});
  });

  it.each<[unknown, RegExp]>([
    [{ dryRun: 'true' }, /purge: option dryRun must be true or false \(got "true"\)/],
    [{ dryRun: 0 }, /option dryRun must be true or false/],
    [{ batchSize: 0 }, /option batchSize must be an integer >= 1 \(got 0\)/],
    [{ batchSize: '5' }, /option batchSize must be an integer >= 1/],
    [{ dryrun: true }, /option dryrun is unknown \(did you mean dryRun\?\)/],
    ['dry', /purge: options must be an object/],
  ])('#14 refuses %p', (options, message) => {
    expect(() => checkPurgeOptions(options)).toThrow(message);
  });
});
