import { DataSource } from 'typeorm';
import type { DataSourceOptions } from 'typeorm';
import type { TestDialect } from '../support/databases';

/**
 * Tables as the other writers of the shared schema create them, recorded as facts:
 *
 * - go-audit v1.0: `user_id` NOT NULL on the data trail; `status_code` and `duration_ms` nullable;
 *   TIMESTAMPTZ / MySQL TIMESTAMP / SQLite DATETIME filled by `now`; MySQL indexes inline.
 * - go-audit v1.1: v1.0 plus a nullable `response_headers` (JSONB / JSON / TEXT) after
 *   `request_headers`.
 * - nestjs-audit-trail 0.1.0: the same columns with this module's types (TIMESTAMPTZ(3),
 *   DATETIME(3), millisecond text on SQLite), nullable `user_id`, `status_code` / `duration_ms`
 *   NOT NULL DEFAULT 0, no `response_headers`.
 */
export type StartingSchema = 'go-audit v1.0' | 'go-audit v1.1' | 'nestjs-audit-trail 0.1.0';
export const STARTING_SCHEMAS: StartingSchema[] = ['go-audit v1.0', 'go-audit v1.1', 'nestjs-audit-trail 0.1.0'];

/** The columns go-audit v1.1 selects, in its order: what a Go reader of the shared tables expects. */
export const GO_AUDIT_DATA_COLUMNS =
  'id, entity_type, entity_id, action, old_values, new_values, user_id, user_type, metadata, transaction_id, created_at';
export const GO_AUDIT_API_COLUMNS =
  'id, service, endpoint, method, status_code, request_headers, response_headers, request_body, response_body, duration_ms, error_message, user_id, metadata, transaction_id, created_at';

type Kind = 'postgres' | 'mysql' | 'sqlite';
const kindOf = (dialect: TestDialect): Kind => (dialect === 'mariadb' ? 'mysql' : dialect);

const GO_TYPES: Record<Kind, { id: string; text: (n: number) => string; json: string; time: string }> = {
  postgres: {
    id: 'BIGSERIAL PRIMARY KEY',
    text: (n) => `VARCHAR(${n})`,
    json: 'JSONB',
    time: 'TIMESTAMPTZ NOT NULL DEFAULT NOW()',
  },
  mysql: {
    id: 'BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY',
    text: (n) => `VARCHAR(${n})`,
    json: 'JSON',
    time: 'TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP',
  },
  sqlite: {
    id: 'INTEGER PRIMARY KEY AUTOINCREMENT',
    text: () => 'TEXT',
    json: 'TEXT',
    time: "DATETIME NOT NULL DEFAULT (datetime('now'))",
  },
};

const MODULE_010_TYPES: Record<Kind, { id: string; json: string; time: string }> = {
  postgres: { id: 'BIGSERIAL PRIMARY KEY', json: 'JSONB', time: 'TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP' },
  mysql: {
    id: 'BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY',
    json: 'JSON',
    time: 'DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)',
  },
  sqlite: {
    id: 'INTEGER PRIMARY KEY AUTOINCREMENT',
    json: 'TEXT',
    time: "DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))",
  },
};

const DATA_INDEXES = [
  ['entity', 'entity_type, entity_id'],
  ['user', 'user_id, created_at'],
  ['action', 'action'],
  ['created', 'created_at'],
  ['transaction', 'transaction_id'],
];
const API_INDEXES = [
  ['service', 'service, created_at'],
  ['status', 'status_code'],
  ['user', 'user_id'],
  ['created', 'created_at'],
  ['transaction', 'transaction_id'],
];

function table(kind: Kind, name: string, columns: string[], indexes: string[][], gin: string[] = []): string[] {
  if (kind === 'mysql') {
    const inline = indexes.map(([suffix, cols]) => `INDEX idx_${name}_${suffix} (${cols})`);
    return [
      `CREATE TABLE IF NOT EXISTS ${name} (\n  ${[...columns, ...inline].join(',\n  ')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    ];
  }
  return [
    `CREATE TABLE IF NOT EXISTS ${name} (\n  ${columns.join(',\n  ')}\n)`,
    ...indexes.map(([suffix, cols]) => `CREATE INDEX IF NOT EXISTS idx_${name}_${suffix} ON ${name} (${cols})`),
    ...(kind === 'postgres'
      ? gin.map((column) => `CREATE INDEX IF NOT EXISTS idx_${name}_${column} ON ${name} USING GIN (${column})`)
      : []),
  ];
}

/** The DDL of both tables as `schema` created them on this dialect. */
export function startingDdl(dialect: TestDialect, schema: StartingSchema): string[] {
  const kind = kindOf(dialect);
  if (schema === 'nestjs-audit-trail 0.1.0') {
    const t = MODULE_010_TYPES[kind];
    const data = [
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
    ];
    const api = [
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
    ];
    const withCharset = (ddl: string[]) =>
      kind === 'mysql'
        ? ddl.map((s) => s.replace('DEFAULT CHARSET=utf8mb4', 'DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci'))
        : ddl;
    return [
      ...withCharset(table(kind, 'audit_logs', data, DATA_INDEXES, ['old_values', 'new_values'])),
      ...withCharset(table(kind, 'audit_api_logs', api, API_INDEXES)),
    ];
  }
  const t = GO_TYPES[kind];
  const data = [
    `id ${t.id}`,
    `entity_type ${t.text(100)} NOT NULL`,
    `entity_id ${t.text(100)} NOT NULL`,
    `action ${t.text(20)} NOT NULL`,
    `old_values ${t.json}`,
    `new_values ${t.json}`,
    `user_id ${t.text(100)} NOT NULL`,
    `user_type ${t.text(50)}`,
    `metadata ${t.json}`,
    `transaction_id ${t.text(100)}`,
    `created_at ${t.time}`,
  ];
  const api = [
    `id ${t.id}`,
    `service ${t.text(100)} NOT NULL`,
    `endpoint ${t.text(500)} NOT NULL`,
    `method ${t.text(10)} NOT NULL`,
    `status_code ${kind === 'sqlite' ? 'INTEGER' : 'INT'}`,
    `request_headers ${t.json}`,
    ...(schema === 'go-audit v1.1' ? [`response_headers ${t.json}`] : []),
    `request_body ${t.json}`,
    `response_body ${t.json}`,
    `duration_ms ${kind === 'sqlite' ? 'INTEGER' : 'INT'}`,
    'error_message TEXT',
    `user_id ${t.text(100)}`,
    `metadata ${t.json}`,
    `transaction_id ${t.text(100)}`,
    `created_at ${t.time}`,
  ];
  return [
    ...table(kind, 'audit_logs', data, DATA_INDEXES, ['old_values', 'new_values']),
    ...table(kind, 'audit_api_logs', api, API_INDEXES),
  ];
}

/** A plain DataSource on the test database, for raw SQL as another program would run it. */
export async function rawConnection(options: DataSourceOptions): Promise<DataSource> {
  const {
    entities: _entities,
    synchronize: _synchronize,
    name: _name,
    ...rest
  } = options as DataSourceOptions & {
    name?: string;
  };
  const dataSource = new DataSource({ ...rest, entities: [], synchronize: false } as DataSourceOptions);
  return dataSource.initialize();
}

/** Placeholders of the dialect for `count` parameters. */
export function placeholders(dialect: TestDialect, count: number): string {
  return Array.from({ length: count }, (_, i) => (dialect === 'postgres' ? `$${i + 1}` : '?')).join(', ');
}

/**
 * `created_at` as go-audit's drivers send it: a time.Time that lib/pq and go-sql-driver/mysql turn
 * into the column's own type, and that SQLite's drivers store as text, mattn/go-sqlite3 as
 * `2006-01-02 15:04:05.999999999-07:00` and modernc.org/sqlite as Go's time.String().
 */
export function goAuditTime(dialect: TestDialect, instant: Date, sqliteDriver: 'mattn' | 'modernc' = 'mattn'): unknown {
  if (dialect === 'postgres') return instant;
  const seconds = instant.toISOString().slice(0, 19).replace('T', ' ');
  const ms = instant.getUTCMilliseconds();
  if (dialect === 'mariadb') return seconds; // TIMESTAMP without a fraction keeps whole seconds
  const fraction = ms ? `.${String(ms).padStart(3, '0')}` : '';
  return sqliteDriver === 'mattn' ? `${seconds}${fraction}+00:00` : `${seconds}${fraction} +0000 UTC`;
}

export interface GoDataRow {
  entityType: string;
  entityId: string;
  action: string;
  oldValues: Record<string, unknown> | null;
  newValues: Record<string, unknown> | null;
  createdAt: Date;
  userId?: string;
  transactionId?: string | null;
}

/** Inserts a data-trail row the way go-audit's SaveDataLog does (NULL for empty strings and JSON). */
export async function insertGoDataRow(
  connection: DataSource,
  dialect: TestDialect,
  row: GoDataRow,
  sqliteDriver: 'mattn' | 'modernc' = 'mattn',
): Promise<void> {
  const json = (value: unknown) => (value === null ? null : JSON.stringify(value));
  await connection.query(
    `INSERT INTO audit_logs (entity_type, entity_id, action, old_values, new_values, user_id, user_type, metadata, transaction_id, created_at) VALUES (${placeholders(dialect, 10)})`,
    [
      row.entityType,
      row.entityId,
      row.action,
      json(row.oldValues),
      json(row.newValues),
      row.userId ?? 'go-user',
      null,
      null,
      row.transactionId ?? null,
      goAuditTime(dialect, row.createdAt, sqliteDriver),
    ],
  );
}

/** Inserts an API-trail row the way go-audit v1.1's SaveAPILog does. */
export async function insertGoApiRow(
  connection: DataSource,
  dialect: TestDialect,
  row: { service: string; statusCode: number; transactionId: string; createdAt: Date; withResponseHeaders: boolean },
): Promise<void> {
  const columns = [
    'service',
    'endpoint',
    'method',
    'status_code',
    'request_headers',
    ...(row.withResponseHeaders ? ['response_headers'] : []),
    'request_body',
    'response_body',
    'duration_ms',
    'error_message',
    'user_id',
    'metadata',
    'transaction_id',
    'created_at',
  ];
  const values = [
    row.service,
    '/v1/transfer',
    'POST',
    row.statusCode,
    JSON.stringify({ 'Content-Type': 'application/json' }),
    ...(row.withResponseHeaders ? [JSON.stringify({ 'X-Gateway': 'go' })] : []),
    JSON.stringify({ amount: 100 }),
    JSON.stringify({ ok: true }),
    842,
    null,
    'go-user',
    null,
    row.transactionId,
    goAuditTime(dialect, row.createdAt),
  ];
  await connection.query(
    `INSERT INTO audit_api_logs (${columns.join(', ')}) VALUES (${placeholders(dialect, columns.length)})`,
    values,
  );
}

/**
 * go-audit's replay, as its Snapshot runs it, for comparing answers: rows in id order; create and
 * restore replace the state with their new values (none: `{}`); update merges its new values and
 * drops keys of its old values missing from its new ones; delete and soft_delete end the entity
 * (null).
 */
export function goAuditReplay(
  rows: Array<{ action: string; oldValues: Record<string, unknown> | null; newValues: Record<string, unknown> | null }>,
): Record<string, unknown> | null {
  let state: Record<string, unknown> | null = null;
  for (const row of rows) {
    switch (row.action) {
      case 'create':
      case 'restore':
        state = { ...(row.newValues ?? {}) };
        break;
      case 'update':
        state = { ...(state ?? {}), ...(row.newValues ?? {}) };
        if (row.oldValues && row.newValues && Object.keys(row.oldValues).length && Object.keys(row.newValues).length) {
          for (const key of Object.keys(row.oldValues)) if (!(key in row.newValues)) delete state[key];
        }
        break;
      case 'delete':
      case 'soft_delete':
        state = null;
        break;
    }
  }
  return state;
}
