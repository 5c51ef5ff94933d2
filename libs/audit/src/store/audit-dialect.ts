/**
 * Everything that differs between PostgreSQL, MySQL/MariaDB and SQLite lives in this table, so the
 * stores and queries are written once. JSON columns are always read back as text and parsed by us:
 * pg parses JSONB, mysql2 parses MySQL's JSON but MariaDB's JSON is LONGTEXT, and SQLite keeps TEXT,
 * so letting each driver decide would hand back a string on some and an object on others.
 */
export interface AuditDialect {
  readonly name: 'postgres' | 'mysql' | 'sqlite';
  quote(identifier: string): string;
  /** Placeholder of the 1-based parameter `index`. */
  placeholder(index: number): string;
  /** Select expression that yields a JSON column as JSON text. */
  jsonText(column: string): string;
  /** Select expression that yields `created_at` as something `readTime` understands. */
  timeSelect(column: string): string;
  /** Parameter value for a timestamp column. */
  writeTime(date: Date): unknown;
  readTime(value: unknown): Date;
  /** Whether `SELECT ... FOR UPDATE` exists, to hold a pre-image steady until the write. */
  readonly rowLock: boolean;
  /** `LIMIT/OFFSET` clause; either may be absent. */
  limitOffset(limit?: number, offset?: number): string;
  /**
   * One INSERT of many rows as `[sql, parameters]`; values come in column order, JSON as text and
   * times from `writeTime`.
   */
  insertMany(table: string, columns: readonly InsertColumn[], rows: readonly unknown[][]): [string, unknown[]];
  /** SQL types of the id, JSON and timestamp columns. */
  readonly types: ColumnTypes;
  /** Idempotent DDL of one table and its indexes; `using` indexes (GIN) only where the dialect has them. */
  tableStatements(table: string, columns: readonly string[], indexes: readonly IndexDefinition[]): string[];
}

export interface ColumnTypes {
  id: string;
  json: string;
  time: string;
}

/** A column written by the stores, with the kind of value it takes. */
export interface InsertColumn {
  name: string;
  kind: 'text' | 'json' | 'int' | 'time';
}

export interface IndexDefinition {
  suffix: string;
  columns: string;
  /** Index method; an index with one is created only by a dialect that supports it. */
  using?: 'GIN';
}

/** `2026-04-18 14:23:18.123`, UTC: what MySQL DATETIME(3) and our SQLite TEXT columns hold. */
function utcText(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

function parseUtcText(value: unknown): Date {
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}

/** Index names are `idx_<table>_<suffix>` (SPEC.md); a long table name is shortened with a hash so no two collide. */
export function indexName(table: string, suffix: string): string {
  const name = `idx_${table}_${suffix}`;
  if (name.length <= 63) return name;
  let hash = 0;
  for (const char of table) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;
  const tag = hash.toString(36);
  return `idx_${table.slice(0, 63 - 6 - tag.length - suffix.length)}_${tag}_${suffix}`;
}

/** CREATE TABLE, then one CREATE INDEX IF NOT EXISTS per index (PostgreSQL, SQLite: double-quoted names). */
function separateIndexes(withMethod: boolean): AuditDialect['tableStatements'] {
  return (table, columns, indexes) => [
    `CREATE TABLE IF NOT EXISTS "${table}" (\n  ${columns.join(',\n  ')}\n)`,
    ...indexes
      .filter((index) => withMethod || !index.using)
      .map(
        (index) =>
          `CREATE INDEX IF NOT EXISTS "${indexName(table, index.suffix)}" ON "${table}"` +
          `${index.using ? ` USING ${index.using}` : ''} (${index.columns})`,
      ),
  ];
}

/** `INSERT ... VALUES (...), (...)`: one placeholder per value. */
function valuesInsert(
  quote: (identifier: string) => string,
  placeholder: (index: number) => string,
): AuditDialect['insertMany'] {
  return (table, columns, rows) => {
    const tuples = rows.map(
      (_, row) => `(${columns.map((_, i) => placeholder(row * columns.length + i + 1)).join(', ')})`,
    );
    const names = columns.map((column) => column.name).join(', ');
    return [`INSERT INTO ${quote(table)} (${names}) VALUES ${tuples.join(', ')}`, rows.flat()];
  };
}

// Below this many rows a VALUES list is quicker on PostgreSQL than unnest's array casts (measured here).
const POSTGRES_UNNEST_FROM_ROWS = 5;
const postgresValuesInsert = valuesInsert(
  (identifier) => `"${identifier}"`,
  (index) => `$${index}`,
);

const POSTGRES_ARRAY_TYPE: Record<InsertColumn['kind'], string> = {
  text: 'text[]',
  json: 'jsonb[]',
  int: 'int[]',
  time: 'timestamptz[]',
};

function limitOffsetClause(limit: number | undefined, offset: number | undefined, unlimited: string): string {
  const hasLimit = limit !== undefined && limit > 0;
  const hasOffset = offset !== undefined && offset > 0;
  if (!hasLimit && !hasOffset) return '';
  const limitPart = ` LIMIT ${hasLimit ? Math.floor(limit) : unlimited}`;
  return hasOffset ? `${limitPart} OFFSET ${Math.floor(offset)}` : limitPart;
}

const postgres: AuditDialect = {
  name: 'postgres',
  rowLock: true,
  quote: (identifier) => `"${identifier}"`,
  placeholder: (index) => `$${index}`,
  jsonText: (column) => `${column}::text`,
  timeSelect: (column) => column,
  writeTime: (date) => date,
  readTime: parseUtcText,
  limitOffset: (limit, offset) => limitOffsetClause(limit, offset, 'ALL'),
  types: { id: 'BIGSERIAL PRIMARY KEY', json: 'JSONB', time: 'TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP' },
  tableStatements: separateIndexes(true),
  // One array parameter per column, whatever the row count: PostgreSQL parses and plans far less than
  // for a VALUES list of rows x columns placeholders (about 20% less time for 100 audit rows here).
  insertMany: (table, columns, rows) =>
    rows.length < POSTGRES_UNNEST_FROM_ROWS
      ? postgresValuesInsert(table, columns, rows)
      : [
          `INSERT INTO "${table}" (${columns.map((c) => c.name).join(', ')}) SELECT * FROM unnest(${columns
            .map((c, i) => `$${i + 1}::${POSTGRES_ARRAY_TYPE[c.kind]}`)
            .join(', ')})`,
          columns.map((_, column) => rows.map((row) => row[column])),
        ],
};

// MySQL and MariaDB have no CREATE INDEX IF NOT EXISTS in common, so indexes are declared inside
// CREATE TABLE IF NOT EXISTS, which keeps the whole statement idempotent.
const mysql: AuditDialect = {
  name: 'mysql',
  rowLock: true,
  quote: (identifier) => `\`${identifier}\``,
  placeholder: () => '?',
  // MariaDB's JSON is LONGTEXT already; CAST makes MySQL's native JSON come back as text as well.
  jsonText: (column) => `CAST(${column} AS CHAR)`,
  // DATETIME carries no zone and mysql2 would read it in the connection's zone; we write and read UTC text.
  timeSelect: (column) => `DATE_FORMAT(${column}, '%Y-%m-%d %H:%i:%s.%f')`,
  writeTime: utcText,
  readTime: parseUtcText,
  limitOffset: (limit, offset) => limitOffsetClause(limit, offset, '18446744073709551615'),
  types: {
    id: 'BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY',
    json: 'JSON',
    time: 'DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)',
  },
  insertMany: valuesInsert(
    (identifier) => `\`${identifier}\``,
    () => '?',
  ),
  tableStatements: (table, columns, indexes) => [
    `CREATE TABLE IF NOT EXISTS \`${table}\` (\n  ${[
      ...columns,
      ...indexes
        .filter((index) => !index.using)
        .map((index) => `INDEX \`${indexName(table, index.suffix)}\` (${index.columns})`),
    ].join(',\n  ')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  ],
};

const sqlite: AuditDialect = {
  name: 'sqlite',
  // SQLite has one writer at a time; there is no row lock to take.
  rowLock: false,
  quote: (identifier) => `"${identifier}"`,
  placeholder: () => '?',
  jsonText: (column) => column,
  timeSelect: (column) => column,
  writeTime: utcText,
  readTime: parseUtcText,
  limitOffset: (limit, offset) => limitOffsetClause(limit, offset, '-1'),
  types: {
    id: 'INTEGER PRIMARY KEY AUTOINCREMENT',
    json: 'TEXT',
    time: "DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))",
  },
  tableStatements: separateIndexes(false),
  insertMany: valuesInsert(
    (identifier) => `"${identifier}"`,
    () => '?',
  ),
};

const DIALECT_BY_DRIVER: Record<string, AuditDialect> = {
  postgres,
  mysql,
  mariadb: mysql,
  'aurora-mysql': mysql,
  'better-sqlite3': sqlite,
  sqlite,
  sqljs: sqlite,
};

/** The dialect of a TypeORM driver type, or a start-up error naming the ones supported. */
export function dialectFor(driverType: string): AuditDialect {
  const dialect = DIALECT_BY_DRIVER[driverType];
  if (!dialect) {
    throw new Error(
      `nestjs-audit-trail: TypeORM driver "${driverType}" is not supported; use one of ${Object.keys(DIALECT_BY_DRIVER).join(', ')}`,
    );
  }
  return dialect;
}
