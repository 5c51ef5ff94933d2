import type { DataSource } from 'typeorm';
import type { BenchCase, BenchContext } from '../support/bench-case';
import { startPair } from '../support/bench-app';
import type { Dialect } from '../support/bench-databases';
import { BenchProduct, newProduct } from '../support/bench-product.entity';
import { AUDITED } from '../support/audited-options';
import { alternate } from '../support/measure';
import { type BenchRow, INFO, skippedRow, throughputRows } from '../support/report';
import { expectAuditRows } from './entity-save.case';

const NAME = 'transaction saving 100 entities';
const TARGET = '>= 0.90';
const ENTITIES = 100;

/**
 * Case 2: one `dataSource.transaction()` that saves 100 new products with one `manager.save(array)`;
 * the audited variant has to add 100 audit rows to that transaction before it commits.
 */
export const transactionSaveCase: BenchCase = {
  name: 'transaction',
  title: 'one transaction saving 100 entities',
  dialects: ['postgres', 'mariadb', 'sqlite'],

  async run(context: BenchContext, dialect: Dialect): Promise<BenchRow[]> {
    const pair = await startPair({ dialect, database: 'tx', entities: [BenchProduct], audit: AUDITED });
    try {
      const saveHundred = (dataSource: DataSource) => (n: number) =>
        dataSource.transaction((manager) =>
          manager.save(
            BenchProduct,
            Array.from({ length: ENTITIES }, (_, i) => manager.create(BenchProduct, newProduct(n * ENTITIES + i))),
          ),
        );
      context.log(`  ${NAME}`);
      const samples = await alternate(
        { baseline: saveHundred(pair.baseline.dataSource), audited: saveHundred(pair.audited.dataSource) },
        context.quick ? { warmup: 10, rounds: 4, opsPerRound: 20 } : { warmup: 20, rounds: 10, opsPerRound: 50 },
      );
      await expectAuditRows(pair.audited, samples.audited.ops * ENTITIES, NAME);
      return throughputRows(NAME, dialect, samples, TARGET, 'tx/s');
    } finally {
      await pair.close();
    }
  },

  skipped: (_context, dialect, reason) => [
    skippedRow(NAME, dialect, 'tx/s', TARGET, reason),
    skippedRow(`${NAME}: p50`, dialect, 'ms', INFO, reason),
    skippedRow(`${NAME}: p99`, dialect, 'ms', INFO, reason),
  ],
};
