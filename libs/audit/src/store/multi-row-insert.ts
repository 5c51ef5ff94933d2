import type { AuditDialect, InsertColumn } from './audit-dialect';
import type { SqlExecutor } from './sql-executor';

/**
 * Inserts rows (each an array of values in `columns` order) with as few statements as the chunk size
 * allows, in the dialect's bulk form, through the caller's executor so the rows share its transaction.
 */
export async function insertRows(
  executor: SqlExecutor,
  dialect: AuditDialect,
  table: string,
  columns: readonly InsertColumn[],
  rows: readonly unknown[][],
  rowsPerInsert: number,
): Promise<void> {
  for (let start = 0; start < rows.length; start += rowsPerInsert) {
    const [sql, parameters] = dialect.insertMany(table, columns, rows.slice(start, start + rowsPerInsert));
    await executor.query(sql, parameters);
  }
}
