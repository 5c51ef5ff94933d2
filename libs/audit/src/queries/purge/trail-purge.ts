import type { AuditDialect } from '../../store/audit-dialect';
import { affectedOf, rowsOf } from '../../store/sql-executor';
import { representableBound } from '../../store/trail-time';

/** One trail's table, as both stores describe it. */
export interface PurgedTable {
  readonly dialect: AuditDialect;
  readonly tableName: string;
}

/**
 * A TypeORM QueryRunner, asked for structured results: only they carry a DELETE's row count on every
 * driver (better-sqlite3's plain result is the last insert rowid).
 */
export interface StatementRunner {
  query(sql: string, parameters: unknown[], useStructuredResult: true): Promise<unknown>;
}

export interface TablePurge {
  before: Date;
  /** Rows per DELETE. */
  batchSize: number;
  /** Count what would go, delete nothing. */
  dryRun: boolean;
}

/**
 * Deletes the rows of one trail table stamped strictly before `before`, in batches of at most
 * `batchSize`, each its own short autocommit statement, so no lock is held longer than one batch
 * and writers appending new rows never queue behind the purge.
 *
 * A batch is found by a plain read (the first `batchSize` old ids above the previous batch, which
 * takes no lock under MVCC) and deleted by its id range. Every old row inside that range belongs to
 * the batch, so the DELETE is bounded, uses the primary key on every dialect, and needs three
 * parameters however large the batch (no IN list to outgrow a driver's parameter limit); newer rows
 * in the range are kept by the created_at guard. The SQL is the same on all three dialects, which is
 * why it needs nothing from the dialect table beyond quoting, placeholders and LIMIT.
 */
export async function purgeTable(runner: StatementRunner, table: PurgedTable, purge: TablePurge): Promise<number> {
  const { dialect } = table;
  const name = dialect.quote(table.tableName);
  const p = (index: number) => dialect.placeholder(index);
  // Strictly before `before`, as an instant (SQLite normalises the text; a bound past year 9999 keeps every row in range).
  const cutoff = representableBound('<', purge.before);
  const before = dialect.writeTime(cutoff.bound);
  const createdAt = `${dialect.timeColumn('created_at')} ${cutoff.operator}`;
  const run = (sql: string, parameters: unknown[]) => runner.query(sql, parameters, true);

  if (purge.dryRun) {
    const rows = rowsOf(await run(`SELECT COUNT(*) AS old_rows FROM ${name} WHERE ${createdAt} ${p(1)}`, [before]));
    return Number(rows[0]?.old_rows ?? 0);
  }

  const findBatch =
    `SELECT MIN(id) AS first_id, MAX(id) AS last_id, COUNT(*) AS batch_rows FROM ` +
    `(SELECT id FROM ${name} WHERE ${createdAt} ${p(1)} AND id > ${p(2)} ORDER BY id${dialect.limitOffset(purge.batchSize)}) batch`;
  const deleteBatch = `DELETE FROM ${name} WHERE id >= ${p(1)} AND id <= ${p(2)} AND ${createdAt} ${p(3)}`;

  let deleted = 0;
  let lastId = 0;
  for (;;) {
    const [batch] = rowsOf(await run(findBatch, [before, lastId]));
    const size = Number(batch?.batch_rows ?? 0);
    if (size === 0) break;
    const firstId = Number(batch.first_id);
    lastId = Number(batch.last_id);
    deleted += affectedOf(await run(deleteBatch, [firstId, lastId, before]));
    if (size < purge.batchSize) break;
  }
  return deleted;
}
