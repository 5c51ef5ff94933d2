import { Logger } from '@nestjs/common';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule, type AuditModuleOptions, TRANSACTION_ID_PATTERN } from 'nestjs-audit-trail';
import { AuditRetentionJob, SCHEDULE_MODULE_MISSING } from '../../libs/audit/src/module/audit-retention.job';
import { createTestApp, describeEachDialect, testDatabase, type TestApp } from '../support/test-app';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DAY = 86_400_000;

/** Calls of Logger#log made by the audit trail's own loggers. */
function auditLogLines(spy: jest.SpyInstance): string[] {
  return spy.mock.calls
    .filter((_, i) => (spy.mock.contexts[i] as { context?: string } | undefined)?.context === 'AuditTrail')
    .map((call) => String(call[0]));
}

const purgedLines = (spy: jest.SpyInstance) => auditLogLines(spy).filter((line) => line.startsWith('purged '));

/** Rows purged over all ticks logged so far; a tick may fall between two inserts of the seed. */
function purgedTotals(spy: jest.SpyInstance): { data: number; api: number } {
  const totals = { data: 0, api: 0 };
  for (const line of purgedLines(spy)) {
    const match = /^purged data=(\d+) api=(\d+)$/.exec(line);
    if (!match) throw new Error(`unexpected log line: ${line}`);
    totals.data += Number(match[1]);
    totals.api += Number(match[2]);
  }
  return totals;
}

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}

describeEachDialect('retention: the scheduled purge job', (dialect) => {
  let t: TestApp;
  let log: jest.SpyInstance;
  let closed = false;

  beforeAll(async () => {
    log = jest.spyOn(Logger.prototype, 'log');
    t = await createTestApp({
      dialect,
      entities: [],
      imports: [ScheduleModule.forRoot()],
      audit: {
        dataAudit: { enabled: true },
        apiAudit: { enabled: true },
        retention: { maxAge: '1d', cron: '* * * * * *', timeZone: 'Asia/Jakarta', batchSize: 2 },
      },
    });
  });
  afterAll(async () => {
    log.mockRestore();
    if (!closed) await t?.close();
  });

  it('purges old rows every tick in its own transaction-ID scope, logs the counts, and stops on app.close()', async () => {
    const registry = t.app.get(SchedulerRegistry);
    const job = t.app.get(AuditRetentionJob);
    expect(registry.doesExist('cron', job.jobName)).toBe(true);

    const scopes: Array<string | undefined> = [];
    const purge = t.audit.purge.bind(t.audit);
    jest.spyOn(t.audit, 'purge').mockImplementation((before, options) => {
      scopes.push(t.audit.getTransactionId());
      return purge(before, options);
    });

    const old = new Date(Date.now() - 2 * DAY);
    for (let i = 0; i < 3; i++) {
      await t.audit.recordDataChange({ entityType: 'items', entityId: `old-${i}`, action: 'create', createdAt: old });
    }
    await t.audit.recordDataChange({ entityType: 'items', entityId: 'new', action: 'create' });
    const call = (endpoint: string, createdAt?: Date) =>
      t.audit.recordApiCall({ service: 'bca', endpoint, method: 'POST', statusCode: 200, durationMs: 1, createdAt });
    await call('/old/1', old);
    await call('/old/2', old);
    await call('/new');

    await eventually(() => purgedTotals(log).data === 3 && purgedTotals(log).api === 2);

    expect((await t.audit.query({ entityType: 'items' })).map((row) => row.entityId)).toEqual(['new']);
    expect((await t.audit.queryApiCalls({})).map((row) => row.endpoint)).toEqual(['/new']);
    expect(scopes.length).toBeGreaterThan(0);
    expect(scopes.every((id) => id !== undefined && TRANSACTION_ID_PATTERN.test(id))).toBe(true);
    expect(new Set(scopes).size).toBe(scopes.length);

    await t.close();
    closed = true;
    const ticksAtClose = purgedLines(log).length;
    expect(registry.doesExist('cron', job.jobName)).toBe(false);
    await sleep(2500);
    expect(purgedLines(log).length).toBe(ticksAtClose);
  });
});

describeEachDialect('retention: one purge at a time', (dialect) => {
  let t: TestApp;
  let log: jest.SpyInstance;

  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      entities: [],
      imports: [ScheduleModule.forRoot()],
      audit: { dataAudit: { enabled: true }, retention: { maxAge: '1h', cron: '0 3 * * *' } },
    });
    log = jest.spyOn(Logger.prototype, 'log');
  });
  afterAll(async () => {
    log.mockRestore();
    await t?.close();
  });

  it('skips a run that comes while the previous one is still going', async () => {
    await t.audit.recordDataChange({
      entityType: 'items',
      entityId: '1',
      action: 'create',
      createdAt: new Date(Date.now() - 2 * 3_600_000),
    });
    const job = t.app.get(AuditRetentionJob);
    const warn = jest.spyOn(Logger.prototype, 'warn');

    const [first, second] = await Promise.all([job.runOnce(), job.runOnce()]);
    const third = await job.runOnce();

    expect(first).toEqual({ dataLogs: 1, apiLogs: 0 });
    expect(second).toBeUndefined();
    expect(warn.mock.calls.map((call) => call[0])).toContain('retention purge still running; this tick is skipped');
    expect(third).toEqual({ dataLogs: 0, apiLogs: 0 });
    expect(purgedLines(log)).toEqual(['purged data=1 api=0', 'purged data=0 api=0']);
    warn.mockRestore();
  });
});

describe('retention: start-up', () => {
  /** Boots an app on SQLite (nothing here touches data) and returns why init failed, if it did. */
  async function startUp(audit: AuditModuleOptions, imports: any[] = []): Promise<Error | undefined> {
    const moduleRef = await Test.createTestingModule({
      imports: [TypeOrmModule.forRoot(await testDatabase('sqlite', [])), AuditModule.forRoot(audit), ...imports],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await app.init();
      return undefined;
    } catch (error) {
      return error as Error;
    } finally {
      await app.close().catch(() => undefined);
    }
  }

  it('fails with a message that says ScheduleModule.forRoot() is missing', async () => {
    const error = await startUp({ dataAudit: { enabled: true }, retention: { maxAge: '365d' } });

    expect(error?.message).toBe(SCHEDULE_MODULE_MISSING);
    expect(error?.message).toMatch(/add ScheduleModule\.forRoot\(\)/);
  });

  it('names the option when the cron package rejects the expression or the time zone', async () => {
    const badCron = await startUp({ dataAudit: { enabled: true }, retention: { cron: '61 * * * *' } }, [
      ScheduleModule.forRoot(),
    ]);
    const badZone = await startUp({ dataAudit: { enabled: true }, retention: { timeZone: 'Mars/Olympus_Mons' } }, [
      ScheduleModule.forRoot(),
    ]);

    expect(badCron?.message).toMatch(
      /option retention\.cron \/ retention\.timeZone must be accepted by the cron package/,
    );
    expect(badZone?.message).toMatch(
      /option retention\.cron \/ retention\.timeZone must be accepted by the cron package/,
    );
  });

  it('needs no ScheduleModule when retention is off', async () => {
    expect(await startUp({ dataAudit: { enabled: true } })).toBeUndefined();
    expect(await startUp({ dataAudit: { enabled: true }, retention: { enabled: false } })).toBeUndefined();
  });
});
