import type { DataSource, Repository } from 'typeorm';
import type { AuditModuleOptions } from 'nestjs-audit-trail';
import type { BenchCase, BenchContext } from '../support/bench-case';
import { type BenchApp, countRows, startBenchApp } from '../support/bench-app';
import type { Dialect } from '../support/bench-databases';
import { BenchProduct, newProduct } from '../support/bench-product.entity';
import { installFloorTriggers } from '../support/floor-triggers';
import { AUDITED } from '../support/audited-options';
import { type AlternatePlan, type Operation, alternate } from '../support/measure';
import { type BenchRow, INFO, relativeTarget, skippedRow, throughputRows } from '../support/report';

const DATABASE_MODE: AuditModuleOptions = {
  ...AUDITED,
  dataAudit: { ...AUDITED.dataAudit, enabled: true, capture: 'database' } as AuditModuleOptions['dataAudit'],
};

const MODES = ['orm', 'database'] as const;
/** `floor`: database mode with triggers that write one constant audit row per change (PostgreSQL, MariaDB). */
type Mode = (typeof MODES)[number] | 'floor';
const FLOOR_DIALECTS: readonly Dialect[] = ['postgres', 'mariadb'];

const INSERT = 'save insert (1 entity)';
const UPDATE = 'save update (1 entity)';
const TRANSACTION = 'transaction saving 100 entities';
const BULK = 'QueryBuilder update of 1,000 rows';
const RAW = 'raw SQL update (1 row)';
const BULK_ROWS = 1000;
const POOL = 100;

const name = (operation: string, mode: Mode) =>
  mode === 'floor' ? `${operation} [floor: one constant audit row per change]` : `${operation} [${mode} capture]`;

function plans(quick: boolean) {
  const single: AlternatePlan = quick
    ? { warmup: 50, rounds: 4, opsPerRound: 100 }
    : { warmup: 200, rounds: 10, opsPerRound: 200 };
  const transaction: AlternatePlan = quick
    ? { warmup: 5, rounds: 4, opsPerRound: 10 }
    : { warmup: 20, rounds: 10, opsPerRound: 30 };
  const bulk: AlternatePlan = quick
    ? { warmup: 2, rounds: 4, opsPerRound: 3 }
    : { warmup: 5, rounds: 10, opsPerRound: 10 };
  return { single, transaction, bulk };
}

/** The targets for database mode; ORM-mode rows are printed beside them for reading. */
function target(operation: string, mode: Mode, dialect: Dialect): string {
  if (mode !== 'database') return INFO;
  if (operation === BULK) return relativeTarget(2, name(BULK, 'orm'));
  if (dialect === 'sqlite') return INFO;
  if (operation === INSERT || operation === UPDATE) return '>= 0.85';
  if (operation === TRANSACTION) return '>= 0.75';
  return INFO;
}

/**
 * Database capture (`dataAudit.capture: 'database'`) beside ORM capture in the same run: the same
 * operations against one unaudited baseline app, each audited mode in an app (and database) of its
 * own. Every operation changes what it writes, so each audited one records rows; the counts are checked.
 * On PostgreSQL and MariaDB a third audited app, the floor, has database mode's triggers replaced by
 * ones that write one constant audit row per change (bench/support/floor-triggers.ts): the least a
 * trigger can do that keeps one row per change in the shared table with its required indexes. Its
 * rows are the ceiling of what database mode can reach on this machine.
 */
export const databaseCaptureCase: BenchCase = {
  name: 'database-capture',
  title: 'database-trigger capture beside ORM capture (save, transaction, QueryBuilder, raw SQL)',
  dialects: ['postgres', 'mariadb', 'sqlite'],

  async run(context: BenchContext, dialect: Dialect): Promise<BenchRow[]> {
    const entities = [BenchProduct];
    const baseline = await startBenchApp('baseline', { dialect, database: 'dbcap', entities });
    const apps: Partial<Record<Mode, BenchApp>> = {};
    try {
      apps.orm = await startBenchApp('audited', { dialect, database: 'dbcap_orm', entities, audit: AUDITED });
      apps.database = await startBenchApp('audited', { dialect, database: 'dbcap_db', entities, audit: DATABASE_MODE });
      if (FLOOR_DIALECTS.includes(dialect)) {
        apps.floor = await startBenchApp('audited', {
          dialect,
          database: 'dbcap_floor',
          entities,
          audit: DATABASE_MODE,
        });
        await installFloorTriggers(apps.floor.dataSource, dialect, 'products');
      }
      const plan = plans(context.quick);
      const rows: BenchRow[] = [];
      const measure = async (operation: string, mode: Mode, ops: (app: BenchApp) => Operation, p: AlternatePlan) => {
        const audited = apps[mode]!;
        context.log(`  ${name(operation, mode)}`);
        try {
          // Every measurement starts from vacuumed tables on PostgreSQL: the 1,000-row updates leave
          // ~100,000 dead rows per measurement, and whichever mode ran after them (or met autovacuum
          // at work on them) would otherwise be measured against a slower baseline than the others.
          if (dialect === 'postgres')
            await Promise.all([baseline, audited].map((app) => app.dataSource.query('VACUUM')));
          const before = await countRows(audited, 'audit_logs');
          const samples = await alternate({ baseline: ops(baseline), audited: ops(audited) }, p);
          const written = (await countRows(audited, 'audit_logs')) - before;
          if (written < samples.audited.ops) {
            throw new Error(`wrote ${written} audit rows for ${samples.audited.ops} operations`);
          }
          rows.push(...throughputRows(name(operation, mode), dialect, samples, target(operation, mode, dialect)));
        } catch (error) {
          // One mode failing (or not recording) leaves the other mode's rows standing.
          const reason = `failed: ${(error as Error).message.split('\n')[0]}`;
          context.log(`  ${name(operation, mode)}: ${reason}`);
          rows.push(...skippedRows(name(operation, mode), dialect, target(operation, mode, dialect), reason));
        }
      };

      const repository = (app: BenchApp): Repository<BenchProduct> => app.dataSource.getRepository(BenchProduct);
      const pools = new Map<BenchApp, BenchProduct[]>();
      const audited = Object.values(apps);
      for (const app of [baseline, ...audited]) {
        pools.set(
          app,
          await repository(app).save(Array.from({ length: POOL }, (_, i) => repository(app).create(newProduct(i)))),
        );
      }
      const ranges = new Map<BenchApp, [number, number]>();
      for (const app of [baseline, ...audited]) ranges.set(app, await seed(app.dataSource));

      const insert = (app: BenchApp) => (n: number) => repository(app).save(repository(app).create(newProduct(n)));
      const update = (app: BenchApp) => (n: number) => {
        const pool = pools.get(app)!;
        const product = pool[n % pool.length];
        product.stock = n;
        return repository(app).save(product);
      };
      const transaction = (app: BenchApp) => (n: number) =>
        app.dataSource.transaction((manager) =>
          manager.save(
            BenchProduct,
            Array.from({ length: 100 }, (_, i) => manager.create(BenchProduct, newProduct(n * 100 + i))),
          ),
        );
      const bulk = (app: BenchApp) => (n: number) => {
        const [first, last] = ranges.get(app)!;
        return app.dataSource
          .createQueryBuilder()
          .update(BenchProduct)
          .set({ stock: n })
          .where('id >= :first AND id <= :last', { first, last })
          .execute();
      };
      const raw = (app: BenchApp) => {
        const pool = pools.get(app)!;
        const placeholder = dialect === 'postgres' ? ['$1', '$2'] : ['?', '?'];
        return (n: number) =>
          app.dataSource.query(`UPDATE products SET stock = ${placeholder[0]} WHERE id = ${placeholder[1]}`, [
            n,
            pool[n % pool.length].id,
          ]);
      };

      // One operation at a time in every mode, so the modes of an operation are measured close together.
      const modes: Mode[] = apps.floor ? [...MODES, 'floor'] : [...MODES];
      const operations: Array<[string, (app: BenchApp) => Operation, AlternatePlan]> = [
        [INSERT, insert, plan.single],
        [UPDATE, update, plan.single],
        [TRANSACTION, transaction, plan.transaction],
        [BULK, bulk, plan.bulk],
      ];
      for (const [operation, ops, p] of operations) for (const mode of modes) await measure(operation, mode, ops, p);
      // ORM capture cannot see raw SQL: database mode only.
      await measure(RAW, 'database', raw, plan.single);
      return rows;
    } finally {
      await Promise.allSettled([baseline.close(), ...Object.values(apps).map((app) => app.close())]);
    }
  },

  skipped: (_context, dialect, reason) =>
    [
      ...MODES.flatMap((mode) => [INSERT, UPDATE, TRANSACTION, BULK].map((operation) => name(operation, mode))),
      name(RAW, 'database'),
      ...(FLOOR_DIALECTS.includes(dialect)
        ? [INSERT, UPDATE, TRANSACTION, BULK].map((operation) => name(operation, 'floor'))
        : []),
    ].flatMap((rowName) => skippedRows(rowName, dialect, INFO, reason)),
};

function skippedRows(rowName: string, dialect: Dialect, rowTarget: string, reason: string): BenchRow[] {
  return [
    skippedRow(rowName, dialect, 'ops/s', rowTarget, reason),
    skippedRow(`${rowName}: p50`, dialect, 'ms', INFO, reason),
    skippedRow(`${rowName}: p99`, dialect, 'ms', INFO, reason),
  ];
}

/** 1,000 products with consecutive ids; returns the first and last id. */
async function seed(dataSource: DataSource): Promise<[number, number]> {
  const repository = dataSource.getRepository(BenchProduct);
  const saved = await repository.save(
    Array.from({ length: BULK_ROWS }, (_, i) => repository.create(newProduct(i))),
    { chunk: 200 },
  );
  const ids = saved.map((product) => product.id).sort((a, b) => a - b);
  if (ids[ids.length - 1] - ids[0] !== BULK_ROWS - 1) throw new Error('bench: seeded ids are not consecutive');
  return [ids[0], ids[ids.length - 1]];
}
