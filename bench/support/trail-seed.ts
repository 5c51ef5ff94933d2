import type { DataSource } from 'typeorm';

/** The entity types the seeded trail spreads its rows over, as a real shop's trail would. */
export const SEEDED_TYPES = ['products', 'orders', 'customers', 'payments'] as const;

/** Rows each seeded entity has: one `create`, then updates. */
export const ROWS_PER_ENTITY = 10;

/** Rows each seeded transaction ID groups (consecutive rows, so different entities). */
export const ROWS_PER_TRANSACTION = 5;

/** Every seeded row is stamped in 2024 (10 ms apart), long before anything a case writes itself. */
export const SEEDED_BEFORE = new Date(Date.UTC(2025, 0, 1));

const CHUNK = 100_000;

export interface SeededTrail {
  rows: number;
  /** A transaction ID in the middle of the trail, with ROWS_PER_TRANSACTION rows. */
  middleTransaction: string;
  /** An entity in the middle of the trail, with ROWS_PER_ENTITY rows. */
  middleEntity: { type: string; id: string };
}

/**
 * Fills the data trail (`audit_logs`, PostgreSQL) with `rows` rows generated in SQL, the shape the
 * subscriber writes: row k (0-based) belongs to entity e = k % E (E = rows / 10), whose first row
 * is its `create` and the nine after it `update`s of `stock`; five consecutive rows share a
 * transaction ID. Secondary indexes are dropped first and rebuilt after, from their own definitions:
 * building an index once is much faster than growing it (the GIN ones above all) row by row, and
 * the result is the same index the library created.
 */
export async function seedDataTrail(
  dataSource: DataSource,
  rows: number,
  log: (message: string) => void,
): Promise<SeededTrail> {
  if (rows % (ROWS_PER_ENTITY * SEEDED_TYPES.length) !== 0) {
    throw new Error(`bench: seed a multiple of ${ROWS_PER_ENTITY * SEEDED_TYPES.length} rows`);
  }
  const entities = rows / ROWS_PER_ENTITY;
  const indexes: Array<{ indexname: string; indexdef: string }> = await dataSource.query(
    `SELECT indexname, indexdef FROM pg_indexes
      WHERE schemaname = current_schema() AND tablename = 'audit_logs' AND indexname <> 'audit_logs_pkey'`,
  );
  for (const index of indexes) await dataSource.query(`DROP INDEX "${index.indexname}"`);
  const types = `ARRAY[${SEEDED_TYPES.map((type) => `'${type}'`).join(', ')}]`;
  for (let from = 0; from < rows; from += CHUNK) {
    const to = Math.min(rows, from + CHUNK) - 1;
    await dataSource.query(
      `INSERT INTO audit_logs
         (entity_type, entity_id, action, old_values, new_values, user_id, user_type, metadata, transaction_id, created_at)
       SELECT (${types})[(k % $1) % ${SEEDED_TYPES.length} + 1],
              ((k % $1) / ${SEEDED_TYPES.length} + 1)::text,
              CASE WHEN k < $1 THEN 'create' ELSE 'update' END,
              CASE WHEN k < $1 THEN NULL ELSE jsonb_build_object('stock', k - $1) END,
              CASE WHEN k < $1
                THEN jsonb_build_object('id', (k % $1) / ${SEEDED_TYPES.length} + 1, 'name', 'item ' || k,
                                        'price', '9.99', 'stock', k, 'active', true)
                ELSE jsonb_build_object('stock', k) END,
              'user-' || (k % 1000), 'customer', NULL,
              'seed-' || lpad((k / ${ROWS_PER_TRANSACTION})::text, 9, '0'),
              TIMESTAMPTZ '2024-01-01 00:00:00+00' + k * INTERVAL '10 milliseconds'
         FROM generate_series($2::bigint, $3::bigint) AS k`,
      [entities, from, to],
    );
    log(`  seeded ${(to + 1).toLocaleString('en-US')} / ${rows.toLocaleString('en-US')} rows`);
  }
  for (const index of indexes) await dataSource.query(index.indexdef);
  await dataSource.query('ANALYZE audit_logs');
  const middle = Math.floor(rows / 2);
  const entity = middle % entities;
  return {
    rows,
    middleTransaction: `seed-${String(Math.floor(middle / ROWS_PER_TRANSACTION)).padStart(9, '0')}`,
    middleEntity: {
      type: SEEDED_TYPES[entity % SEEDED_TYPES.length],
      id: String(Math.floor(entity / SEEDED_TYPES.length) + 1),
    },
  };
}
