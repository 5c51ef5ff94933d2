import { affectedOf } from '../../libs/audit/src/store/sql-executor';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';

const CUTOFF = new Date('2026-01-01T00:00:00.000Z');
const offset = (ms: number) => new Date(CUTOFF.getTime() + ms);
const DAY = 86_400_000;

describeEachDialect('retention: purge', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      entities: [],
      audit: { dataAudit: { enabled: true }, apiAudit: { enabled: true } },
    });
  });
  afterAll(() => t?.close());

  const countRows = async (table: string) =>
    Number((await t.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);

  /**
   * Old and new rows interleaved by id (old, new, old, new ...), so a batch's id range also spans rows
   * that must stay; the row stamped exactly at the cutoff is not older than it and stays too.
   */
  async function seed(oldData: number, oldApi: number): Promise<void> {
    const olds = (n: number) => Array.from({ length: n }, (_, i) => offset(-(i % 2 ? DAY : 1) - i));
    const news = (n: number) => Array.from({ length: n }, (_, i) => offset(i === 0 ? 0 : i));
    const data = olds(oldData).flatMap((old, i) => [old, news(oldData)[i]]);
    for (const [i, createdAt] of data.entries()) {
      await t.audit.recordDataChange({
        entityType: 'items',
        entityId: String(i),
        action: 'create',
        newValues: { i },
        createdAt,
      });
    }
    const api = olds(oldApi).flatMap((old, i) => [old, news(oldApi)[i]]);
    for (const [i, createdAt] of api.entries()) {
      await t.audit.recordApiCall({
        service: 'bca',
        endpoint: `/call/${i}`,
        method: 'POST',
        statusCode: 200,
        durationMs: 1,
        createdAt,
      });
    }
  }

  /** The results of the DELETE statements the purge runs from now on (observed, not altered). */
  function watchDeletes(): Array<Promise<unknown>> {
    const deletes: Array<Promise<unknown>> = [];
    const createQueryRunner = t.dataSource.createQueryRunner.bind(t.dataSource);
    jest.spyOn(t.dataSource, 'createQueryRunner').mockImplementation((mode) => {
      const runner = createQueryRunner(mode);
      const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
      runner.query = ((...args: unknown[]) => {
        const result = query(...args);
        if (String(args[0]).startsWith('DELETE')) deletes.push(result);
        return result;
      }) as typeof runner.query;
      return runner;
    });
    return deletes;
  }

  afterEach(() => jest.restoreAllMocks());

  beforeEach(async () => {
    await t.dataSource.query('DELETE FROM audit_logs');
    await t.dataSource.query('DELETE FROM audit_api_logs');
  });

  it('counts without deleting on a dry run', async () => {
    await seed(8, 4);

    expect(await t.audit.purge(CUTOFF, { dryRun: true })).toEqual({ dataLogs: 8, apiLogs: 4 });
    expect(await countRows('audit_logs')).toBe(16);
    expect(await countRows('audit_api_logs')).toBe(8);
  });

  it('deletes exactly the rows strictly older than the cutoff from each trail, in bounded batches', async () => {
    await seed(8, 4);
    const deletes = watchDeletes();

    const result = await t.audit.purge(CUTOFF, { batchSize: 3 });

    expect(result).toEqual({ dataLogs: 8, apiLogs: 4 });
    // 8 rows in batches of 3 is 3 statements, 4 rows is 2; none deletes more than a batch.
    expect(deletes).toHaveLength(5);
    const perStatement = await Promise.all(deletes.map(async (deleted) => affectedOf(await deleted)));
    expect(perStatement).toEqual([3, 3, 2, 3, 1]);

    const remaining = await t.audit.query({});
    expect(remaining).toHaveLength(8);
    expect(remaining.every((log) => log.createdAt.getTime() >= CUTOFF.getTime())).toBe(true);
    expect(remaining.some((log) => log.createdAt.getTime() === CUTOFF.getTime())).toBe(true);
    expect(await countRows('audit_api_logs')).toBe(4);
    expect(await t.audit.purge(CUTOFF)).toEqual({ dataLogs: 0, apiLogs: 0 });
  });

  it('rejects a cutoff or batch size it cannot use, deleting nothing', async () => {
    await seed(2, 2);

    await expect(t.audit.purge(new Date('soon'))).rejects.toThrow(/purge needs a valid Date/);
    await expect(t.audit.purge(undefined as unknown as Date)).rejects.toThrow(/purge needs a valid Date/);
    await expect(t.audit.purge(CUTOFF, { batchSize: 0 })).rejects.toThrow(/batchSize must be an integer >= 1/);
    await expect(t.audit.purge(CUTOFF, { batchSize: 2.5 })).rejects.toThrow(/batchSize must be an integer >= 1/);
    expect(await countRows('audit_logs')).toBe(4);
  });
});

describeEachDialect('retention: purge with the API trail off', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ dialect, entities: [], audit: { dataAudit: { enabled: true } } });
  });
  afterAll(() => t?.close());

  it('purges the data trail and leaves the disabled one alone', async () => {
    await t.audit.recordDataChange({
      entityType: 'items',
      entityId: '1',
      action: 'create',
      newValues: { a: 0 },
      createdAt: offset(-1),
    });
    await t.audit.recordDataChange({
      entityType: 'items',
      entityId: '2',
      action: 'create',
      newValues: { a: 0 },
      createdAt: offset(1),
    });

    expect(await t.audit.purge(CUTOFF)).toEqual({ dataLogs: 1, apiLogs: 0 });
    expect((await t.audit.query({})).map((log) => log.entityId)).toEqual(['2']);
  });
});
