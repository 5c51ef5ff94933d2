import type { BenchCase, BenchContext } from '../support/bench-case';
import { type BenchApp, startBenchApp } from '../support/bench-app';
import type { Dialect } from '../support/bench-databases';
import { BenchProduct } from '../support/bench-product.entity';
import { AUDITED } from '../support/audited-options';
import { type Operation, alternate, type AlternatePlan, statsOf } from '../support/measure';
import { type BenchRow, INFO, row, skippedRow } from '../support/report';
import { ROWS_PER_ENTITY, ROWS_PER_TRANSACTION, type SeededTrail, seedDataTrail } from '../support/trail-seed';

const SMALL_TRAIL = 1_000;
const PAGE_SIZE = 50;
const DEEP_TARGET = '<= 1.5';

function sizes(quick: boolean): { rows: number; deepPage: number } {
  // The deep page sits half-way down the trail: page 10,000 of 20,000 at a million rows.
  return quick ? { rows: 100_000, deepPage: 1_000 } : { rows: 1_000_000, deepPage: 10_000 };
}

function plan(quick: boolean): AlternatePlan {
  return quick ? { warmup: 20, rounds: 4, opsPerRound: 50 } : { warmup: 50, rounds: 10, opsPerRound: 100 };
}

const count = (n: number) => n.toLocaleString('en-US');

function names(quick: boolean) {
  const { rows, deepPage } = sizes(quick);
  return {
    transaction: `queryByTransaction (${ROWS_PER_TRANSACTION} rows), ${count(rows)}-row trail vs ${count(SMALL_TRAIL)}: p50`,
    snapshot: `snapshot of an entity (${ROWS_PER_ENTITY} rows), ${count(rows)}-row trail vs ${count(SMALL_TRAIL)}: p50`,
    deepPage: `keyset page ${count(deepPage)} vs page 1 (${PAGE_SIZE} rows, ${count(rows)}-row trail): p50`,
  };
}

/**
 * Case 5, PostgreSQL: reads of a large trail, through AuditService. Two audited apps, one on a trail
 * of 1,000,000 rows (100,000 in quick mode) and one on a trail of 1,000 rows of the same shape, take
 * turns; a lookup that uses its index costs about the same on both, so the ratio large / small shows
 * what the table's size costs (no target in the issue: `info`). The deep page runs on the large
 * trail against its own page 1: `query({ limit: 50, beforeId })` with the cursor of page 10,000
 * against `query({ limit: 50 })`, target <= 1.5.
 */
export const trailQueriesCase: BenchCase = {
  name: 'queries',
  title: 'queryByTransaction, snapshot and deep keyset page on a large trail',
  dialects: ['postgres'],
  fixedDialect: true,

  async run(context: BenchContext, dialect: Dialect): Promise<BenchRow[]> {
    const { rows, deepPage } = sizes(context.quick);
    const label = names(context.quick);
    const options = { dialect, entities: [BenchProduct], audit: AUDITED };
    const small = await startBenchApp('audited', { ...options, database: 'trail_small' });
    let large: BenchApp | undefined;
    try {
      large = await startBenchApp('audited', { ...options, database: 'trail_large' });
      context.log(`  seeding ${count(SMALL_TRAIL)} rows`);
      const smallTrail = await seedDataTrail(small.dataSource, SMALL_TRAIL, () => undefined);
      context.log(`  seeding ${count(rows)} rows`);
      const seedStart = Date.now();
      const largeTrail = await seedDataTrail(large.dataSource, rows, context.log);
      context.log(`  seeded in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);

      const auditOf = (app: BenchApp) => app.audit!;
      const byTransaction =
        (app: BenchApp, trail: SeededTrail): Operation =>
        async () => {
          const found = await auditOf(app).queryByTransaction(trail.middleTransaction);
          expectLength(found.dataLogs, ROWS_PER_TRANSACTION, 'queryByTransaction');
        };
      const snapshot =
        (app: BenchApp, trail: SeededTrail): Operation =>
        async () => {
          const found = await auditOf(app).snapshot(trail.middleEntity.type, trail.middleEntity.id, new Date());
          if (!found.exists) throw new Error(`snapshot found no ${trail.middleEntity.type}#${trail.middleEntity.id}`);
        };
      const cursor = await deepPageCursor(large, deepPage);
      const page =
        (beforeId: number | undefined): Operation =>
        async () => {
          const found = await auditOf(large!).query({ limit: PAGE_SIZE, beforeId });
          expectLength(found, PAGE_SIZE, 'a page');
        };

      const result: BenchRow[] = [];
      const timeRow = async (name: string, baseline: Operation, audited: Operation, target: string) => {
        context.log(`  ${name}`);
        const samples = await alternate({ baseline, audited }, plan(context.quick));
        result.push(row(name, dialect, 'ms', statsOf(samples.baseline).p50Ms, statsOf(samples.audited).p50Ms, target));
      };
      await timeRow(label.transaction, byTransaction(small, smallTrail), byTransaction(large, largeTrail), INFO);
      await timeRow(label.snapshot, snapshot(small, smallTrail), snapshot(large, largeTrail), INFO);
      await timeRow(label.deepPage, page(undefined), page(cursor), DEEP_TARGET);
      return result;
    } finally {
      await Promise.allSettled([small.close(), large?.close()]);
    }
  },

  skipped: (context, dialect, reason) => {
    const label = names(context.quick);
    return [
      skippedRow(label.transaction, dialect, 'ms', INFO, reason),
      skippedRow(label.snapshot, dialect, 'ms', INFO, reason),
      skippedRow(label.deepPage, dialect, 'ms', DEEP_TARGET, reason),
    ];
  },
};

/**
 * The `beforeId` a reader holds when asking for page `pageNumber`: the last id of the page before.
 * Found with one OFFSET query, outside the timing, instead of walking 9,999 pages.
 */
async function deepPageCursor(app: BenchApp, pageNumber: number): Promise<number> {
  const rows: Array<{ id: string }> = await app.dataSource.query(
    'SELECT id FROM audit_logs ORDER BY id DESC OFFSET $1 LIMIT 1',
    [(pageNumber - 1) * PAGE_SIZE - 1],
  );
  if (rows.length === 0) throw new Error(`the trail has fewer than ${pageNumber} pages`);
  return Number(rows[0].id);
}

function expectLength(list: readonly unknown[], expected: number, what: string): void {
  if (list.length !== expected) throw new Error(`${what} returned ${list.length} rows, expected ${expected}`);
}
