import type { Repository } from 'typeorm';
import type { BenchCase, BenchContext } from '../support/bench-case';
import { type BenchApp, countRows, startPair } from '../support/bench-app';
import type { Dialect } from '../support/bench-databases';
import { BenchProduct, newProduct } from '../support/bench-product.entity';
import { AUDITED } from '../support/audited-options';
import { alternate, type AlternatePlan } from '../support/measure';
import { type BenchRow, INFO, skippedRow, throughputRows } from '../support/report';

const INSERT = 'save insert (1 entity)';
const UPDATE = 'save update (1 entity)';
const TARGET = '>= 0.80';
const UPDATED_POOL = 100;

function plan(quick: boolean): AlternatePlan {
  return quick ? { warmup: 100, rounds: 6, opsPerRound: 150 } : { warmup: 200, rounds: 10, opsPerRound: 200 };
}

/**
 * Case 1: `repository.save()` of one entity, one after another, outside any transaction of the
 * caller's (TypeORM opens one per save). Insert: a new product each time. Update: one field of an
 * already saved product changes each time, so `save` loads the row, diffs and updates it.
 */
export const entitySaveCase: BenchCase = {
  name: 'save',
  title: 'single-entity save (insert, update)',
  dialects: ['postgres', 'mariadb', 'sqlite'],

  async run(context: BenchContext, dialect: Dialect): Promise<BenchRow[]> {
    const pair = await startPair({ dialect, database: 'save', entities: [BenchProduct], audit: AUDITED });
    try {
      const repository = (app: BenchApp) => app.dataSource.getRepository(BenchProduct);
      const insert = (repo: Repository<BenchProduct>) => (n: number) => repo.save(repo.create(newProduct(n)));
      context.log(`  ${INSERT}`);
      const inserts = await alternate(
        { baseline: insert(repository(pair.baseline)), audited: insert(repository(pair.audited)) },
        plan(context.quick),
      );
      await expectAuditRows(pair.audited, inserts.audited.ops, INSERT);

      const pools = {
        baseline: await savedPool(repository(pair.baseline)),
        audited: await savedPool(repository(pair.audited)),
      };
      const update = (repo: Repository<BenchProduct>, pool: BenchProduct[]) => (n: number) => {
        const product = pool[n % pool.length];
        product.stock = n;
        return repo.save(product);
      };
      const before = await countRows(pair.audited, 'audit_logs');
      context.log(`  ${UPDATE}`);
      const updates = await alternate(
        {
          baseline: update(repository(pair.baseline), pools.baseline),
          audited: update(repository(pair.audited), pools.audited),
        },
        plan(context.quick),
      );
      await expectAuditRows(pair.audited, before + updates.audited.ops, UPDATE);
      return [...throughputRows(INSERT, dialect, inserts, TARGET), ...throughputRows(UPDATE, dialect, updates, TARGET)];
    } finally {
      await pair.close();
    }
  },

  skipped: (_context, dialect, reason) =>
    [INSERT, UPDATE].flatMap((name) => [
      skippedRow(name, dialect, 'ops/s', TARGET, reason),
      skippedRow(`${name}: p50`, dialect, 'ms', INFO, reason),
      skippedRow(`${name}: p99`, dialect, 'ms', INFO, reason),
    ]),
};

async function savedPool(repo: Repository<BenchProduct>): Promise<BenchProduct[]> {
  return repo.save(Array.from({ length: UPDATED_POOL }, (_, i) => repo.create(newProduct(-1 - i))));
}

/**
 * A number measured against an audited app that wrote no audit rows would be a lie; the count
 * covers the warm-up too, so it is a lower bound.
 */
export async function expectAuditRows(app: BenchApp, atLeast: number, what: string): Promise<void> {
  const rows = await countRows(app, 'audit_logs');
  if (rows < atLeast) {
    throw new Error(`the audited app wrote ${rows} audit rows, expected at least ${atLeast} (${what})`);
  }
}
