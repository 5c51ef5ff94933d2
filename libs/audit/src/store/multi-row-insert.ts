import type { AuditDialect } from './audit-dialect';
import type { SqlExecutor } from './sql-executor';

/**
 * Inserts rows (each an array of values in `columns` order) with as few multi-row INSERT statements
 * as the chunk size allows, through the caller's executor so the rows share its transaction.
 */
export async function insertRows(
  executor: SqlExecutor,
  dialect: AuditDialect,
  table: string,
  columns: readonly string[],
  rows: readonly unknown[][],
  rowsPerInsert: number,
): Promise<void> {
  const head = `INSERT INTO ${dialect.quote(table)} (${columns.join(', ')}) VALUES `;
  for (let start = 0; start < rows.length; start += rowsPerInsert) {
    const chunk = rows.slice(start, start + rowsPerInsert);
    const tuples = chunk.map(
      (_, row) => `(${columns.map((_, column) => dialect.placeholder(row * columns.length + column + 1)).join(', ')})`,
    );
    await executor.query(head + tuples.join(', '), chunk.flat());
  }
}
