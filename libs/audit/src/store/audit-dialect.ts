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
  /** DDL of both trails; each statement is idempotent. */
  dataTableStatements(table: string): string[];
  apiTableStatements(table: string): string[];
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

interface ColumnTypes {
  id: string;
  json: string;
  time: string;
}

function dataColumns(t: ColumnTypes): string {
  return [
    `id ${t.id}`,
    'entity_type VARCHAR(100) NOT NULL',
    'entity_id VARCHAR(100) NOT NULL',
    'action VARCHAR(20) NOT NULL',
    `old_values ${t.json} NULL`,
    `new_values ${t.json} NULL`,
    'user_id VARCHAR(100) NULL',
    'user_type VARCHAR(50) NULL',
    `metadata ${t.json} NULL`,
    'transaction_id VARCHAR(100) NULL',
    `created_at ${t.time}`,
  ].join(',\n  ');
}

function apiColumns(t: ColumnTypes): string {
  return [
    `id ${t.id}`,
    'service VARCHAR(100) NOT NULL',
    'endpoint VARCHAR(500) NOT NULL',
    'method VARCHAR(10) NOT NULL',
    'status_code INTEGER NOT NULL DEFAULT 0',
    `request_headers ${t.json} NULL`,
    `request_body ${t.json} NULL`,
    `response_body ${t.json} NULL`,
    'duration_ms INTEGER NOT NULL DEFAULT 0',
    'error_message TEXT NULL',
    'user_id VARCHAR(100) NULL',
    `metadata ${t.json} NULL`,
    'transaction_id VARCHAR(100) NULL',
    `created_at ${t.time}`,
  ].join(',\n  ');
}

const DATA_INDEXES: ReadonlyArray<[string, string]> = [
  ['entity', 'entity_type, entity_id'],
  ['user', 'user_id, created_at'],
  ['action', 'action'],
  ['created', 'created_at'],
  ['transaction', 'transaction_id'],
];

const API_INDEXES: ReadonlyArray<[string, string]> = [
  ['service', 'service, created_at'],
  ['status', 'status_code'],
  ['user', 'user_id'],
  ['created', 'created_at'],
  ['transaction', 'transaction_id'],
];

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
  dataTableStatements(table) {
    const types = {
      id: 'BIGSERIAL PRIMARY KEY',
      json: 'JSONB',
      time: 'TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP',
    };
    return [
      `CREATE TABLE IF NOT EXISTS "${table}" (\n  ${dataColumns(types)}\n)`,
      ...DATA_INDEXES.map(
        ([suffix, columns]) => `CREATE INDEX IF NOT EXISTS "${indexName(table, suffix)}" ON "${table}" (${columns})`,
      ),
      `CREATE INDEX IF NOT EXISTS "${indexName(table, 'old_values')}" ON "${table}" USING GIN (old_values)`,
      `CREATE INDEX IF NOT EXISTS "${indexName(table, 'new_values')}" ON "${table}" USING GIN (new_values)`,
    ];
  },
  apiTableStatements(table) {
    const types = {
      id: 'BIGSERIAL PRIMARY KEY',
      json: 'JSONB',
      time: 'TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP',
    };
    return [
      `CREATE TABLE IF NOT EXISTS "${table}" (\n  ${apiColumns(types)}\n)`,
      ...API_INDEXES.map(
        ([suffix, columns]) => `CREATE INDEX IF NOT EXISTS "${indexName(table, suffix)}" ON "${table}" (${columns})`,
      ),
    ];
  },
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
  dataTableStatements(table) {
    const types = {
      id: 'BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY',
      json: 'JSON',
      time: 'DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)',
    };
    const indexes = DATA_INDEXES.map(([suffix, columns]) => `INDEX \`${indexName(table, suffix)}\` (${columns})`);
    return [
      `CREATE TABLE IF NOT EXISTS \`${table}\` (\n  ${dataColumns(types)},\n  ${indexes.join(',\n  ')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    ];
  },
  apiTableStatements(table) {
    const types = {
      id: 'BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY',
      json: 'JSON',
      time: 'DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)',
    };
    const indexes = API_INDEXES.map(([suffix, columns]) => `INDEX \`${indexName(table, suffix)}\` (${columns})`);
    return [
      `CREATE TABLE IF NOT EXISTS \`${table}\` (\n  ${apiColumns(types)},\n  ${indexes.join(',\n  ')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    ];
  },
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
  dataTableStatements(table) {
    const types = {
      id: 'INTEGER PRIMARY KEY AUTOINCREMENT',
      json: 'TEXT',
      time: "DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))",
    };
    return [
      `CREATE TABLE IF NOT EXISTS "${table}" (\n  ${dataColumns(types)}\n)`,
      ...DATA_INDEXES.map(
        ([suffix, columns]) => `CREATE INDEX IF NOT EXISTS "${indexName(table, suffix)}" ON "${table}" (${columns})`,
      ),
    ];
  },
  apiTableStatements(table) {
    const types = {
      id: 'INTEGER PRIMARY KEY AUTOINCREMENT',
      json: 'TEXT',
      time: "DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))",
    };
    return [
      `CREATE TABLE IF NOT EXISTS "${table}" (\n  ${apiColumns(types)}\n)`,
      ...API_INDEXES.map(
        ([suffix, columns]) => `CREATE INDEX IF NOT EXISTS "${indexName(table, suffix)}" ON "${table}" (${columns})`,
      ),
    ];
  },
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
