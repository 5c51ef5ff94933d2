import { Column, Entity, PrimaryGeneratedColumn, type Repository } from 'typeorm';
import { createTestApp, dialectsUnderTest, type TestApp } from '../support/test-app';

/** What the writers keep saving while the purge runs. */
@Entity('counters')
class Counter {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column('int')
  value!: number;
}

const DATA_ROWS = 150_000;
const API_ROWS = 50_000;
const WRITERS = 4;

const postgres = dialectsUnderTest().includes('postgres');
const describeOnPostgres = postgres ? describe : describe.skip;
const title = postgres
  ? 'retention: purge under load [postgres]'
  : 'retention: purge under load [postgres] SKIPPED: no postgres server answered';

interface WriterStats {
  saves: number;
  longestMs: number;
}

/**
 * Audited writes in a loop until `stop` says so; each `save` is timed, so the longest one is the
 * longest any writer waited (for a lock, a connection, or anything else).
 */
async function write(counters: Repository<Counter>, stop: () => boolean): Promise<WriterStats> {
  const stats: WriterStats = { saves: 0, longestMs: 0 };
  const counter = await counters.save(counters.create({ value: 0 }));
  while (!stop()) {
    counter.value++;
    const started = process.hrtime.bigint();
    await counters.save(counter);
    stats.longestMs = Math.max(stats.longestMs, Number(process.hrtime.bigint() - started) / 1e6);
    stats.saves++;
  }
  return stats;
}

async function writeFor(counters: Repository<Counter>, work: () => Promise<unknown>): Promise<WriterStats[]> {
  let done = false;
  const writers = Array.from({ length: WRITERS }, () => write(counters, () => done));
  try {
    await work();
  } finally {
    done = true;
  }
  return Promise.all(writers);
}

describeOnPostgres(title, () => {
  let t: TestApp;
  let counters: Repository<Counter>;

  beforeAll(async () => {
    t = await createTestApp({
      dialect: 'postgres',
      entities: [Counter],
      poolSize: WRITERS + 2,
      audit: { dataAudit: { enabled: true }, apiAudit: { enabled: true } },
    });
    counters = t.dataSource.getRepository(Counter);
    // Half of each trail 400 days old, half from the last day; one multi-row INSERT per trail.
    await t.dataSource.query(
      `INSERT INTO audit_logs (entity_type, entity_id, action, old_values, new_values, user_id, user_type, transaction_id, created_at)
       SELECT 'seed', g::text, 'update', jsonb_build_object('n', g - 1), jsonb_build_object('n', g), 'system', 'system',
              'seed-' || (g / 10),
              CASE WHEN g <= ${DATA_ROWS / 2} THEN now() - interval '400 days' ELSE now() - interval '1 day' END + g * interval '1 ms'
       FROM generate_series(1, ${DATA_ROWS}) AS g`,
    );
    await t.dataSource.query(
      `INSERT INTO audit_api_logs (service, endpoint, method, status_code, request_body, response_body, duration_ms, user_id, transaction_id, created_at)
       SELECT 'bca', '/v1/transfer/' || g, 'POST', 200, jsonb_build_object('amount', g), jsonb_build_object('ok', true), 100,
              'system', 'seed-' || (g / 10),
              CASE WHEN g <= ${API_ROWS / 2} THEN now() - interval '400 days' ELSE now() - interval '1 day' END + g * interval '1 ms'
       FROM generate_series(1, ${API_ROWS}) AS g`,
    );
    await t.dataSource.query('ANALYZE audit_logs');
    await t.dataSource.query('ANALYZE audit_api_logs');
  }, 120_000);
  afterAll(() => t?.close());

  it('deletes exactly the old half while audited writes keep going', async () => {
    const cutoff = new Date(Date.now() - 365 * 86_400_000);
    const count = async (sql: string) => Number((await t.dataSource.query(sql))[0].n);

    const baseline = await writeFor(counters, () => new Promise((resolve) => setTimeout(resolve, 1000)));
    let purgeMs = 0;
    const during = await writeFor(counters, async () => {
      const started = Date.now();
      const result = await t.audit.purge(cutoff);
      purgeMs = Date.now() - started;
      expect(result).toEqual({ dataLogs: DATA_ROWS / 2, apiLogs: API_ROWS / 2 });
    });

    expect(await count(`SELECT COUNT(*) AS n FROM audit_logs WHERE entity_type = 'seed'`)).toBe(DATA_ROWS / 2);
    expect(await count(`SELECT COUNT(*) AS n FROM audit_api_logs`)).toBe(API_ROWS / 2);
    expect(await count(`SELECT COUNT(*) AS n FROM audit_logs WHERE created_at < now() - interval '365 days'`)).toBe(0);
    // Every write the writers made is in the trail: one create per writer and run, then one update per save.
    const saves = [...baseline, ...during].reduce((sum, stats) => sum + stats.saves, 0);
    expect(await count(`SELECT COUNT(*) AS n FROM audit_logs WHERE entity_type = 'counters'`)).toBe(
      saves + 2 * WRITERS,
    );

    const longest = (stats: WriterStats[]) => Math.max(...stats.map((s) => s.longestMs)).toFixed(1);
    const total = (stats: WriterStats[]) => stats.reduce((sum, s) => sum + s.saves, 0);
    console.log(
      [
        `purge of ${DATA_ROWS / 2} data + ${API_ROWS / 2} API rows (of ${DATA_ROWS + API_ROWS}) took ${purgeMs} ms in batches of 1000`,
        `${WRITERS} writers, 1 s before the purge: ${total(baseline)} audited saves, longest ${longest(baseline)} ms`,
        `${WRITERS} writers, during the purge: ${total(during)} audited saves, longest ${longest(during)} ms`,
      ].join('\n'),
    );
  }, 120_000);
});
