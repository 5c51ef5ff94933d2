import type { DataSource } from 'typeorm';
import type { BenchCase, BenchContext } from '../support/bench-case';
import { type BenchApp, countRows, startPair } from '../support/bench-app';
import type { Dialect } from '../support/bench-databases';
import { BenchProduct, newProduct } from '../support/bench-product.entity';
import { AUDITED } from '../support/audited-options';
import { type AlternatePlan, type Sample, alternate } from '../support/measure';
import { type BenchRow, INFO, skippedRow, throughputRows } from '../support/report';

const BULK = 'QueryBuilder update of 1,000 rows';
const BY_ID = 'update({ id }, values) (1 row)';
const BULK_ROWS = 1000;
const BY_ID_POOL = 100;
const BY_ID_TARGET = '>= 0.50';

function bulkPlan(quick: boolean): AlternatePlan {
  return quick ? { warmup: 3, rounds: 4, opsPerRound: 5 } : { warmup: 5, rounds: 10, opsPerRound: 10 };
}

function byIdPlan(quick: boolean): AlternatePlan {
  return quick ? { warmup: 100, rounds: 6, opsPerRound: 150 } : { warmup: 200, rounds: 10, opsPerRound: 200 };
}

/**
 * Case: writes by criteria, where the trail cannot reuse a row TypeORM loaded itself.
 * - `createQueryBuilder().update(BenchProduct).set({ stock }).where(id range)`: one statement
 *   changing 1,000 rows, so 1,000 audit rows per operation when that path is captured.
 * - `repository.update({ id }, { stock })` of one row: the module reads the row before and after the
 *   write, in one transaction.
 * Every operation changes `stock` (seeded as 0-49, set to 100 + n), so every matched row really
 * changes: a row set to the value it already holds is no change, and gets no audit row.
 */
export const entityUpdateCase: BenchCase = {
  name: 'update',
  title: 'updates by criteria (QueryBuilder 1,000 rows, update by id)',
  dialects: ['postgres', 'mariadb', 'sqlite'],

  async run(context: BenchContext, dialect: Dialect): Promise<BenchRow[]> {
    const pair = await startPair({ dialect, database: 'update', entities: [BenchProduct], audit: AUDITED });
    try {
      const rows: BenchRow[] = [];
      const ranges = { baseline: await seed(pair.baseline, BULK_ROWS), audited: await seed(pair.audited, BULK_ROWS) };
      const bulk = (dataSource: DataSource, ids: number[]) => (n: number) =>
        dataSource
          .createQueryBuilder()
          .update(BenchProduct)
          .set({ stock: 100 + n })
          .where('id >= :first AND id <= :last', { first: ids[0], last: ids[ids.length - 1] })
          .execute();
      let before = await countRows(pair.audited, 'audit_logs');
      context.log(`  ${BULK}`);
      const bulkSamples = await alternate(
        {
          baseline: bulk(pair.baseline.dataSource, ranges.baseline),
          audited: bulk(pair.audited.dataSource, ranges.audited),
        },
        bulkPlan(context.quick),
      );
      const bulkWritten = (await countRows(pair.audited, 'audit_logs')) - before;
      const bulkExpected = operations(bulkSamples.audited, bulkPlan(context.quick)) * BULK_ROWS;
      if (bulkWritten < bulkExpected) {
        // Measured against an app that did not record the change, the figure would say nothing of the cost.
        const reason = `the audited app wrote ${bulkWritten} audit rows for ${bulkExpected} updated rows`;
        context.log(`  ${BULK}: ${reason}`);
        rows.push(...skippedRows(BULK, dialect, INFO, reason));
      } else {
        rows.push(...throughputRows(BULK, dialect, bulkSamples, INFO));
      }

      const pools = {
        baseline: ranges.baseline.slice(0, BY_ID_POOL),
        audited: ranges.audited.slice(0, BY_ID_POOL),
      };
      const byId = (dataSource: DataSource, pool: number[]) => (n: number) =>
        dataSource.getRepository(BenchProduct).update({ id: pool[n % pool.length] }, { stock: 100 + n });
      before = await countRows(pair.audited, 'audit_logs');
      context.log(`  ${BY_ID}`);
      const byIdSamples = await alternate(
        {
          baseline: byId(pair.baseline.dataSource, pools.baseline),
          audited: byId(pair.audited.dataSource, pools.audited),
        },
        byIdPlan(context.quick),
      );
      const byIdWritten = (await countRows(pair.audited, 'audit_logs')) - before;
      const byIdExpected = operations(byIdSamples.audited, byIdPlan(context.quick));
      if (byIdWritten < byIdExpected) {
        throw new Error(`the audited app wrote ${byIdWritten} audit rows for ${byIdExpected} updates (${BY_ID})`);
      }
      rows.push(...throughputRows(BY_ID, dialect, byIdSamples, BY_ID_TARGET));
      return rows;
    } finally {
      await pair.close();
    }
  },

  skipped: (_context, dialect, reason) => [
    ...skippedRows(BULK, dialect, INFO, reason),
    ...skippedRows(BY_ID, dialect, BY_ID_TARGET, reason),
  ],
};

/** Saves `count` products and returns their ids in ascending order (consecutive on a fresh table). */
async function seed(app: BenchApp, count: number): Promise<number[]> {
  const repository = app.dataSource.getRepository(BenchProduct);
  const saved = await repository.save(
    Array.from({ length: count }, (_, i) => repository.create(newProduct(i))),
    { chunk: 200 },
  );
  const ids = saved.map((product) => product.id).sort((a, b) => a - b);
  if (ids[ids.length - 1] - ids[0] !== count - 1) throw new Error('bench: seeded ids are not consecutive');
  return ids;
}

/** Operations the audited variant ran, warm-up included (its audit rows are counted too). */
function operations(sample: Sample, plan: AlternatePlan): number {
  return sample.ops + plan.warmup;
}

function skippedRows(name: string, dialect: Dialect, target: string, reason: string): BenchRow[] {
  return [
    skippedRow(name, dialect, 'ops/s', target, reason),
    skippedRow(`${name}: p50`, dialect, 'ms', INFO, reason),
    skippedRow(`${name}: p99`, dialect, 'ms', INFO, reason),
  ];
}
