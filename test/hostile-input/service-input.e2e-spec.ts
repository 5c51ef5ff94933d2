import type { ApiEntry, DataEntry } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';

const call: ApiEntry = { service: 'psp', endpoint: '/v1/pay', method: 'POST', statusCode: 200, durationMs: 3 };
const change: DataEntry = { entityType: 'ledger', entityId: 'L-1', action: 'create', newValues: { amount: 1 } };

describeEachDialect('hostile input: AuditService arguments', (dialect) => {
  let t: TestApp;
  let silent: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      entities: [Product],
      audit: { dataAudit: { enabled: true }, apiAudit: { enabled: true, fetch: false } },
    });
    silent = await createTestApp({
      dialect,
      entities: [Product],
      audit: {
        dataAudit: { enabled: true, onError: 'fail-silent' },
        apiAudit: { enabled: true, fetch: false, onError: 'fail-silent' },
      },
    });
    for (let i = 0; i < 5; i++) {
      await t.audit.recordDataChange({ ...change, entityId: `L-${i}` });
      await t.audit.recordApiCall(call);
    }
  });
  afterAll(async () => {
    await t?.close();
    await silent?.close();
  });

  const count = async (app: TestApp, table: string) =>
    Number((await app.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);

  describe('#13 query filters', () => {
    it.each<[string, unknown, RegExp]>([
      ['limit -1', { limit: -1 }, /filter limit must be an integer from 1 to 1000, or 0 for no limit \(got -1\)/],
      ['limit NaN', { limit: NaN }, /filter limit must be an integer from 1 to 1000.*\(got NaN\)/],
      ['limit Infinity', { limit: Infinity }, /filter limit must be .*\(got Infinity\)/],
      ['limit 1e21', { limit: 1e21 }, /filter limit must be .*\(got 1e\+21\)/],
      ['limit 2.5', { limit: 2.5 }, /filter limit must be/],
      ['limit "10"', { limit: '10' }, /filter limit must be .*\(got "10"\)/],
      ['limit 1001 (above the page size)', { limit: 1001 }, /filter limit must be an integer from 1 to 1000/],
      ['offset -1', { offset: -1 }, /filter offset must be an integer >= 0 \(got -1\)/],
      ['offset 1e21', { offset: 1e21 }, /filter offset must be/],
      ['from as a string', { from: '2026-01-01' }, /filter from must be a valid Date \(got "2026-01-01"\)/],
      ['to as an invalid Date', { to: new Date('nope') }, /filter to must be a valid Date \(got Invalid Date\)/],
      [
        'an unknown action',
        { action: 'upsert' },
        /filter action must be one of create, update, delete, soft_delete, restore/,
      ],
      ['an object as entityId', { entityId: { $ne: 1 } }, /filter entityId must be a string/],
      ['a misspelt key', { entityTyp: 'ledger' }, /filter entityTyp is unknown \(did you mean entityType\?\)/],
      ['a string filter', 'ledger', /filter must be an object/],
    ])('query refuses %s with a library error naming the filter', async (_case, filter, message) => {
      await expect(t.audit.query(filter as never)).rejects.toThrow(message);
    });

    it.each<[string, unknown, RegExp]>([
      ['limit -1', { limit: -1 }, /queryApiCalls: filter limit must be an integer from 1 to 1000/],
      ['limit NaN', { limit: NaN }, /filter limit must be/],
      ['from as a string', { from: 'yesterday' }, /filter from must be a valid Date/],
      ['statusCode as a word', { statusCode: 'ok' }, /filter statusCode must be an integer from 0 to 999/],
      ['a data-trail key', { entityType: 'ledger' }, /filter entityType is unknown \(did you mean /],
    ])('queryApiCalls refuses %s with a library error naming the filter', async (_case, filter, message) => {
      await expect(t.audit.queryApiCalls(filter as never)).rejects.toThrow(message);
    });

    it('takes null as no filter, 1000 as the largest page, 0 as no limit', async () => {
      const all = await t.audit.query();
      expect(all.length).toBeGreaterThanOrEqual(5);
      expect(await t.audit.query(null as never)).toEqual(all);
      expect(await t.audit.query({ limit: 1000 })).toEqual(all);
      expect(await t.audit.query({ limit: 0 })).toEqual(all);
      expect(await t.audit.query({ limit: 2, entityId: undefined })).toEqual(all.slice(0, 2));
      expect(await t.audit.queryApiCalls(null as never)).toHaveLength(5);
    });
  });

  describe('#14 purge options', () => {
    it.each<[string, unknown, RegExp]>([
      ['dryRun "true"', { dryRun: 'true' }, /purge: option dryRun must be true or false \(got "true"\)/],
      ['dryRun 1', { dryRun: 1 }, /purge: option dryRun must be true or false/],
      ['batchSize 0', { batchSize: 0 }, /purge: option batchSize must be an integer >= 1 \(got 0\)/],
      ['batchSize 2.5', { batchSize: 2.5 }, /purge: option batchSize must be an integer >= 1/],
      ['batchSize "10"', { batchSize: '10' }, /purge: option batchSize must be an integer >= 1/],
      ['a misspelt dryRun', { dryrun: true }, /purge: option dryrun is unknown \(did you mean dryRun\?\)/],
    ])('refuses %s and deletes nothing', async (_case, options, message) => {
      const before = [await count(t, 'audit_logs'), await count(t, 'audit_api_logs')];
      await expect(t.audit.purge(new Date(Date.now() + 60_000), options as never)).rejects.toThrow(message);
      expect([await count(t, 'audit_logs'), await count(t, 'audit_api_logs')]).toEqual(before);
    });

    it('takes null options as the defaults (here: a dry run counts, deletes nothing)', async () => {
      const result = await t.audit.purge(new Date(Date.now() + 60_000), { dryRun: true });
      expect(result.dataLogs).toBeGreaterThanOrEqual(5);
      await expect(t.audit.purge(new Date(0), null as never)).resolves.toEqual({ dataLogs: 0, apiLogs: 0 });
    });
  });

  describe('#15 one rule for what recordApiCall and recordDataChange store', () => {
    it.each([
      ['CR/LF', 'abc\r\nSet-Cookie: x=1'],
      ['quotes', `tx"'; DROP TABLE audit_api_logs; --`],
      ['300 characters', 'a'.repeat(300)],
      ['non-ASCII', 'tx-é'],
    ])(
      'recordApiCall refuses a transaction ID with %s, like recordDataChange, and stores nothing',
      async (_case, id) => {
        for (const app of [t, silent]) {
          const before = await count(app, 'audit_api_logs');
          await expect(app.audit.recordApiCall({ ...call, transactionId: id })).rejects.toThrow(
            /transactionId must be 1 to 100 characters from A-Z a-z 0-9 _ \. : -/,
          );
          await expect(app.audit.recordDataChange({ ...change, transactionId: id })).rejects.toThrow(
            /transactionId must be 1 to 100 characters from A-Z a-z 0-9 _ \. : -/,
          );
          expect(await count(app, 'audit_api_logs')).toBe(before);
        }
      },
    );

    it.each<[string, Partial<DataEntry>, RegExp]>([
      [
        'entityType of 101 characters',
        { entityType: 't'.repeat(101) },
        /entityType must be a string of 1 to 100 characters/,
      ],
      ['entityId of 101 characters', { entityId: 'i'.repeat(101) }, /entityId must be a string of 1 to 100 characters/],
      ['userId of 101 characters', { userId: 'u'.repeat(101) }, /userId must be a string of at most 100 characters/],
      ['userType of 51 characters', { userType: 'y'.repeat(51) }, /userType must be a string of at most 50 characters/],
      [
        'an unknown action',
        { action: 'upsert' as never },
        /action must be one of create, update, delete, soft_delete, restore \(got "upsert"\)/,
      ],
      [
        'values that are not an object',
        { newValues: 'amount=1' as never },
        /newValues must be an object of column values or null/,
      ],
      ['an invalid createdAt', { createdAt: new Date('nope') }, /createdAt must be a valid Date/],
    ])(
      'recordDataChange refuses %s with a clear error, under fail-loud and fail-silent, and writes no row',
      async (_case, patch, message) => {
        for (const app of [t, silent]) {
          const before = await count(app, 'audit_logs');
          await expect(app.audit.recordDataChange({ ...change, entityId: 'bad', ...patch })).rejects.toThrow(message);
          expect(await count(app, 'audit_logs')).toBe(before);
        }
      },
    );

    it('recordDataChange under fail-silent returns true only with a row', async () => {
      const before = await count(silent, 'audit_logs');
      expect(await silent.audit.recordDataChange({ ...change, entityId: 'ok', userId: 'u'.repeat(100) })).toBe(true);
      expect(await count(silent, 'audit_logs')).toBe(before + 1);
    });
  });
});
