import type { BenchCase, BenchContext } from '../support/bench-case';
import { startBenchApp } from '../support/bench-app';
import type { Dialect } from '../support/bench-databases';
import { BenchProduct, newProduct } from '../support/bench-product.entity';
import { AUDITED } from '../support/audited-options';
import { type Sample, msSince, nowNs, runBatch, runWhile } from '../support/measure';
import { type BenchRow, INFO, row, skippedRow, throughputRows } from '../support/report';
import { SEEDED_BEFORE, seedDataTrail } from '../support/trail-seed';

const BATCH_SIZE = 1000;
const WRITERS = 4;
const TARGET = '>= 0.80';
const WRITES = 'audited save insert, during purge vs idle';

const count = (n: number) => n.toLocaleString('en-US');
const purgeName = (rows: number) => `purge ${count(rows)} rows (batches of ${BATCH_SIZE}): time`;
const rowsFor = (quick: boolean) => (quick ? 100_000 : 1_000_000);

/**
 * Case 6, PostgreSQL: `AuditService.purge(before, { batchSize: 1000 })` of a trail of 1,000,000 old
 * rows (100,000 in quick mode), timed; and what it does to the application meanwhile: 4 writers
 * keep saving products (each save also writes its audit row into the table being purged). Their
 * throughput while the purge runs is set against the same writers idle, measured just before and
 * just after it (so the table's size and the machine's drift weigh on both sides).
 */
export const trailPurgeCase: BenchCase = {
  name: 'purge',
  title: 'purge of a large trail, and audited writes while it runs',
  dialects: ['postgres'],
  fixedDialect: true,

  async run(context: BenchContext, dialect: Dialect): Promise<BenchRow[]> {
    const rows = rowsFor(context.quick);
    const app = await startBenchApp('audited', {
      dialect,
      database: 'purge',
      entities: [BenchProduct],
      audit: AUDITED,
    });
    try {
      context.log(`  seeding ${count(rows)} rows`);
      await seedDataTrail(app.dataSource, rows, context.log);
      const repository = app.dataSource.getRepository(BenchProduct);
      let sequence = 0;
      const next = () => ++sequence;
      const write = (n: number) => repository.save(repository.create(newProduct(n)));
      await runBatch(write, 200, WRITERS, next, { ops: 0, elapsedMs: 0, latenciesMs: [] });

      const idleMs = context.quick ? 1500 : 3000;
      const idle = async (): Promise<Sample> => {
        const start = nowNs();
        return runWhile(write, WRITERS, () => msSince(start) < idleMs, next);
      };
      context.log(`  writers idle (${idleMs} ms)`);
      const idleBefore = await idle();

      context.log(`  purge, writers running`);
      let purging = true;
      const purgeStart = nowNs();
      const purge = app.audit!.purge(SEEDED_BEFORE, { batchSize: BATCH_SIZE }).finally(() => (purging = false));
      const [result, during] = await Promise.all([purge, runWhile(write, WRITERS, () => purging, next)]);
      const purgeSeconds = msSince(purgeStart) / 1000;
      if (result.dataLogs !== rows) throw new Error(`purge deleted ${result.dataLogs} rows, expected ${rows}`);

      context.log(`  writers idle (${idleMs} ms)`);
      const idleAfter = await idle();
      const idleBoth: Sample = {
        ops: idleBefore.ops + idleAfter.ops,
        elapsedMs: idleBefore.elapsedMs + idleAfter.elapsedMs,
        latenciesMs: [...idleBefore.latenciesMs, ...idleAfter.latenciesMs],
      };
      context.log(`  purge took ${purgeSeconds.toFixed(2)} s, ${during.ops} saves meanwhile`);
      return [
        row(purgeName(rows), dialect, 's', null, purgeSeconds, INFO),
        ...throughputRows(WRITES, dialect, { baseline: idleBoth, audited: during }, TARGET),
      ];
    } finally {
      await app.close();
    }
  },

  skipped: (context, dialect, reason) => [
    skippedRow(purgeName(rowsFor(context.quick)), dialect, 's', INFO, reason),
    skippedRow(WRITES, dialect, 'ops/s', TARGET, reason),
    skippedRow(`${WRITES}: p50`, dialect, 'ms', INFO, reason),
    skippedRow(`${WRITES}: p99`, dialect, 'ms', INFO, reason),
  ],
};
