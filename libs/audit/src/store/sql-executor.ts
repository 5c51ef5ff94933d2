/** What the stores need to run SQL: a TypeORM QueryRunner, EntityManager or DataSource all fit. */
export interface SqlExecutor {
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

/** Rows of a SELECT: mysql2 and pg hand back arrays, TypeORM's structured results wrap them. */
export function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  const records = (result as { records?: unknown })?.records;
  return Array.isArray(records) ? (records as Record<string, unknown>[]) : [];
}

/** Affected-row count of a DELETE, across the shapes pg, mysql2 and better-sqlite3 return through TypeORM. */
export function affectedOf(result: unknown): number {
  if (Array.isArray(result)) {
    // pg through TypeORM: [rows, count]; mysql2: [ResultSetHeader]
    const [first, second] = result as unknown[];
    if (typeof second === 'number') return second;
    const header = first as { affectedRows?: number } | undefined;
    if (header && typeof header.affectedRows === 'number') return header.affectedRows;
  }
  const shaped = result as { affected?: number; affectedRows?: number; changes?: number } | undefined;
  return shaped?.affected ?? shaped?.affectedRows ?? shaped?.changes ?? 0;
}
