import { DataSource } from 'typeorm';
import { type TestApp, createTestApp, describeEachDialect } from '../support/test-app';
import { insertGoApiRow, insertGoDataRow, rawConnection } from './go-audit-fixtures';

const T = new Date('2026-04-13T09:01:00.000Z');
const ms = (offset: number) => new Date(T.getTime() + offset);
// The last instant a JavaScript Date can hold, in year 275760.
const END_OF_TIME = new Date(8.64e15);
const START_OF_TIME = new Date(-8.64e15);

describeEachDialect('interop: created_at is an instant whichever writer wrote it', (dialect) => {
  let t: TestApp;
  let raw: DataSource;

  beforeEach(async () => {
    t = await createTestApp({
      dialect,
      entities: [],
      audit: { dataAudit: { enabled: true }, apiAudit: { enabled: true } },
    });
    raw = await rawConnection(t.dataSource.options);
  });

  afterEach(async () => {
    await raw.destroy();
    await t.close();
  });

  /** One go-audit data row and one API row at T, in every text form its SQLite drivers write. */
  async function goRowsAtT(): Promise<void> {
    await insertGoDataRow(raw, dialect, {
      entityType: 'orders',
      entityId: '1',
      action: 'create',
      oldValues: null,
      newValues: { status: 'pending' },
      createdAt: T,
    });
    await insertGoDataRow(
      raw,
      dialect,
      {
        entityType: 'orders',
        entityId: '2',
        action: 'create',
        oldValues: null,
        newValues: { status: 'paid' },
        createdAt: T,
      },
      'modernc',
    );
    await insertGoApiRow(raw, dialect, {
      service: 'bca',
      statusCode: 200,
      transactionId: 'go-tx',
      createdAt: T,
      withResponseHeaders: true,
    });
  }

  it('reads go-audit rows with a valid createdAt and finds them with from = to = their instant', async () => {
    await goRowsAtT();

    const rows = await t.audit.query({ from: T, to: T });
    expect(rows.map((row) => row.entityId).sort()).toEqual(['1', '2']);
    for (const row of rows) expect(row.createdAt.toISOString()).toBe(T.toISOString());
    expect(await t.audit.query({ from: ms(1) })).toEqual([]);
    expect(await t.audit.query({ to: ms(-1) })).toEqual([]);

    const calls = await t.audit.queryApiCalls({ from: T, to: T });
    expect(calls).toHaveLength(1);
    expect(calls[0].createdAt.toISOString()).toBe(T.toISOString());
  });

  it('snapshots an entity go-audit wrote, at the exact instant and not a millisecond before', async () => {
    await goRowsAtT();

    expect(await t.audit.snapshot('orders', '2', T)).toEqual({ exists: true, values: { status: 'paid' } });
    expect((await t.audit.snapshot('orders', '2', ms(-1))).exists).toBe(false);
  });

  it('purges strictly before the cutoff: a row at the cutoff stays, one millisecond later it goes', async () => {
    await goRowsAtT();

    expect(await t.audit.purge(T, { dryRun: true })).toEqual({ dataLogs: 0, apiLogs: 0 });
    expect(await t.audit.purge(T)).toEqual({ dataLogs: 0, apiLogs: 0 });
    expect(await t.audit.purge(ms(1))).toEqual({ dataLogs: 2, apiLogs: 1 });
    expect(await t.audit.query({})).toEqual([]);
  });

  it('orders and filters rows of both writers by instant, not by text', async () => {
    await goRowsAtT(); // at T, text like `2026-04-13 09:01:00+00:00`
    await t.audit.recordDataChange({
      entityType: 'orders',
      entityId: '3',
      action: 'create',
      newValues: { status: 'new' },
      createdAt: ms(500), // text `2026-04-13 09:01:00.500`, which sorts before `...00+00:00`
    });

    expect((await t.audit.query({ from: ms(1) })).map((row) => row.entityId)).toEqual(['3']);
    expect((await t.audit.query({ to: ms(499) })).map((row) => row.entityId).sort()).toEqual(['1', '2']);
    expect(await t.audit.purge(ms(500), { dryRun: true })).toMatchObject({ dataLogs: 2 });
  });

  it('takes dates past year 9999 and before year 1 as bounds, not as text', async () => {
    await goRowsAtT();
    await t.audit.recordDataChange({
      entityType: 'orders',
      entityId: '3',
      action: 'create',
      newValues: { status: 'new' },
    });

    expect(await t.audit.query({ to: END_OF_TIME })).toHaveLength(3);
    expect(await t.audit.query({ from: START_OF_TIME })).toHaveLength(3);
    expect(await t.audit.query({ from: END_OF_TIME })).toEqual([]);
    expect(await t.audit.query({ to: START_OF_TIME })).toEqual([]);
    expect(await t.audit.queryApiCalls({ to: END_OF_TIME })).toHaveLength(1);
    expect(await t.audit.snapshot('orders', '3', END_OF_TIME)).toEqual({ exists: true, values: { status: 'new' } });
    expect(await t.audit.purge(START_OF_TIME)).toEqual({ dataLogs: 0, apiLogs: 0 });
    expect(await t.audit.purge(END_OF_TIME)).toEqual({ dataLogs: 3, apiLogs: 1 });
  });
});
