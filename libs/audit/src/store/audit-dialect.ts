import { parseInstant, sqliteInstant, utcText } from './trail-time';

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
  /**
   * Expression a time column is compared and ordered by. On SQLite the column is text in whichever
   * form its writer chose (see store/trail-time.ts), so it is normalised first.
   */
  timeColumn(column: string): string;
  /** Parameter value for a timestamp column, written or compared with `timeColumn`. */
  writeTime(date: Date): unknown;
  readTime(value: unknown): Date;
  /** Whether `SELECT ... FOR UPDATE` exists, to hold a pre-image steady until the write. */
  readonly rowLock: boolean;
  /**
   * An expression giving a time value's microseconds as six digits, where the database keeps more
   * than JavaScript's milliseconds; undefined where it does not (SQLite stores what was written).
   */
  microseconds?(expression: string): string;
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
  /** A SELECT of the names (`name`) of a table's columns; no rows when the table does not exist. */
  columnsQuery(table: string): [string, unknown[]];
  /** A SELECT of the names (`name`) of a table's indexes, or undefined when `CREATE INDEX IF NOT EXISTS` exists. */
  indexesQuery(table: string): [string, unknown[]] | undefined;
  /** Adds one nullable column to an existing table. */
  addColumn(table: string, definition: string): string;
  /** Creates one index on an existing table (idempotent where the dialect can say so). */
  createIndex(table: string, index: IndexDefinition): string;
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
  /** Column list, or an expression on dialects that index expressions. */
  columns: string;
  /** Index method; an index with one is created only by a dialect that supports it. */
  using?: 'GIN';
  unique?: boolean;
  /** Only on these dialects (an expression index, say). */
  only?: ReadonlyArray<AuditDialect['name']>;
}

/** Whether a dialect creates this index at all. */
export function hasIndex(dialect: AuditDialect, index: IndexDefinition): boolean {
  if (index.only && !index.only.includes(dialect.name)) return false;
  return !index.using || dialect.name === 'postgres';
}

/** Index names are `idx_<table>_<suffix>` (docs/behaviour.md, "Tables"); a long table name is shortened with a hash so no two collide. */
export function indexName(table: string, suffix: string): string {
  const name = `idx_${table}_${suffix}`;
  if (name.length <= 63) return name;
  let hash = 0;
  for (const char of table) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;
  const tag = hash.toString(36);
  return `idx_${table.slice(0, 63 - 6 - tag.length - suffix.length)}_${tag}_${suffix}`;
}

/** CREATE INDEX IF NOT EXISTS (PostgreSQL, SQLite: double-quoted names). */
function createIndexIfMissing(table: string, index: IndexDefinition): string {
  return (
    `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS "${indexName(table, index.suffix)}" ON "${table}"` +
    `${index.using ? ` USING ${index.using}` : ''} (${index.columns})`
  );
}

/** CREATE TABLE, then one CREATE INDEX IF NOT EXISTS per index. */
function separateIndexes(name: AuditDialect['name']): AuditDialect['tableStatements'] {
  return (table, columns, indexes) => [
    `CREATE TABLE IF NOT EXISTS "${table}" (\n  ${columns.join(',\n  ')}\n)`,
    ...indexes
      .filter((index) => (!index.only || index.only.includes(name)) && (!index.using || name === 'postgres'))
      .map((index) => createIndexIfMissing(table, index)),
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
  microseconds: (expression) => `to_char(${expression}, 'US')`,
  quote: (identifier) => `"${identifier}"`,
  placeholder: (index) => `$${index}`,
  jsonText: (column) => `${column}::text`,
  timeSelect: (column) => column,
  timeColumn: (column) => column,
  writeTime: (date) => date,
  readTime: parseInstant,
  limitOffset: (limit, offset) => limitOffsetClause(limit, offset, 'ALL'),
  types: { id: 'BIGSERIAL PRIMARY KEY', json: 'JSONB', time: 'TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP' },
  tableStatements: separateIndexes('postgres'),
  columnsQuery: (table) => [
    'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
    [table],
  ],
  indexesQuery: () => undefined,
  addColumn: (table, definition) => `ALTER TABLE "${table}" ADD COLUMN IF NOT EXISTS ${definition}`,
  createIndex: createIndexIfMissing,
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
  microseconds: (expression) => `DATE_FORMAT(${expression}, '%f')`,
  quote: (identifier) => `\`${identifier}\``,
  placeholder: () => '?',
  // MariaDB's JSON is LONGTEXT already; CAST makes MySQL's native JSON come back as text as well.
  jsonText: (column) => `CAST(${column} AS CHAR)`,
  // DATETIME carries no zone and mysql2 would read it in the connection's zone; we write and read UTC text.
  timeSelect: (column) => `DATE_FORMAT(${column}, '%Y-%m-%d %H:%i:%s.%f')`,
  timeColumn: (column) => column,
  writeTime: utcText,
  readTime: parseInstant,
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
        .filter((index) => !index.using && (!index.only || index.only.includes('mysql')))
        .map(
          (index) => `${index.unique ? 'UNIQUE ' : ''}INDEX \`${indexName(table, index.suffix)}\` (${index.columns})`,
        ),
    ].join(',\n  ')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  ],
  columnsQuery: (table) => [
    'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
    [table],
  ],
  indexesQuery: (table) => [
    'SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
    [table],
  ],
  addColumn: (table, definition) => `ALTER TABLE \`${table}\` ADD COLUMN ${definition}`,
  createIndex: (table, index) =>
    `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX \`${indexName(table, index.suffix)}\` ON \`${table}\` (${index.columns})`,
};

const sqlite: AuditDialect = {
  name: 'sqlite',
  // SQLite has one writer at a time; there is no row lock to take.
  rowLock: false,
  quote: (identifier) => `"${identifier}"`,
  placeholder: () => '?',
  jsonText: (column) => column,
  // The normalised form where SQLite can read the text, the text itself otherwise (parseInstant reads both).
  timeSelect: (column) => `COALESCE(${sqliteInstant(column)}, ${column})`,
  timeColumn: sqliteInstant,
  writeTime: utcText,
  readTime: parseInstant,
  limitOffset: (limit, offset) => limitOffsetClause(limit, offset, '-1'),
  types: {
    id: 'INTEGER PRIMARY KEY AUTOINCREMENT',
    json: 'TEXT',
    time: "DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))",
  },
  tableStatements: separateIndexes('sqlite'),
  insertMany: valuesInsert(
    (identifier) => `"${identifier}"`,
    () => '?',
  ),
  columnsQuery: (table) => ['SELECT name FROM pragma_table_info(?)', [table]],
  indexesQuery: () => undefined,
  addColumn: (table, definition) => `ALTER TABLE "${table}" ADD COLUMN ${definition}`,
  createIndex: createIndexIfMissing,
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
