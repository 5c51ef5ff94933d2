import { DataSource, type Repository } from 'typeorm';
import { createTestApp, describeEachDialect, testDatabase, type TestApp } from '../support/test-app';
import { TrailCounter } from './fixtures/trail-entities';

const WORKERS = 4;
const UPSERTS = 1000;

interface Outcome {
  deadlocks: number;
  otherErrors: string[];
  rows: number;
}

/**
 * 1,000 upserts of new keys from 4 workers at once. Worker w takes keys w, w+4, w+8, ...: neighbours
 * in the index, so the workers keep inserting into the same gaps, where locking reads collide.
 */
async function concurrentUpserts(repository: Repository<TrailCounter>, prefix: string): Promise<Outcome> {
  const outcome: Outcome = { deadlocks: 0, otherErrors: [], rows: 0 };
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, worker) => {
      for (let i = worker; i < UPSERTS; i += WORKERS) {
        const code = `${prefix}-${String(i).padStart(5, '0')}`;
        try {
          await repository.upsert({ code, hits: 1 }, ['code']);
        } catch (error) {
          const message = (error as Error).message;
          if (/deadlock/i.test(message)) outcome.deadlocks++;
          else outcome.otherErrors.push(message);
        }
      }
    }),
  );
  const counted = await repository.count();
  outcome.rows = counted;
  return outcome;
}

// Issue 11, finding 5: the module adds no error (deadlock) a caller would not get without it.
describeEachDialect('data trail, finding 5: concurrent upserts of new keys', (dialect) => {
  if (dialect === 'sqlite') {
    it.skip('needs a server with a connection pool (SQLite has one writer)', () => undefined);
    return;
  }

  let control: DataSource;
  let t: TestApp;

  beforeAll(async () => {
    control = new DataSource(await testDatabase(dialect, [TrailCounter], { poolSize: WORKERS, name: 'unaudited' }));
    await control.initialize();
    t = await createTestApp({
      dialect,
      entities: [TrailCounter],
      poolSize: WORKERS,
      audit: { dataAudit: { enabled: true } },
    });
  });
  afterAll(async () => {
    await t?.close();
    await control?.destroy();
  });

  it(`${UPSERTS} upserts from ${WORKERS} workers: 0 deadlocks without the module, and 0 with it`, async () => {
    const without = await concurrentUpserts(control.getRepository(TrailCounter), 'k');
    const withModule = await concurrentUpserts(t.dataSource.getRepository(TrailCounter), 'k');

    expect(without).toEqual({ deadlocks: 0, otherErrors: [], rows: UPSERTS });
    expect(withModule).toEqual({ deadlocks: 0, otherErrors: [], rows: UPSERTS });
    const creates = await t.audit.query({ entityType: 'trail_counters', action: 'create' });
    expect(creates).toHaveLength(UPSERTS);
  });
});
