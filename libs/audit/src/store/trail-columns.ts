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

/** The SELECT list of a trail table: its id, then its columns, JSON as text and times as `readTime` expects. */
export function selectListOf(dialect: AuditDialect, columns: readonly InsertColumn[]): string {
  const expression = (column: InsertColumn): string => {
    if (column.kind === 'json') return `${dialect.jsonText(column.name)} AS ${column.name}`;
    if (column.kind === 'time') return `${dialect.timeSelect(column.name)} AS ${column.name}`;
    return column.name;
  };
  return ['id', ...columns.map(expression)].join(', ');
}
