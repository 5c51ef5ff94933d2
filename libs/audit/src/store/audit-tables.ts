import type { MigrationInterface, QueryRunner } from 'typeorm';
import { type AuditDialect, type IndexDefinition, dialectFor, hasIndex, indexName } from './audit-dialect';
import { type SqlExecutor, rowsOf } from './sql-executor';
import { sqliteInstant } from './trail-time';

export interface AuditTableNames {
  /** Data trail table, or undefined when that trail is off. */
  dataTable?: string;
  /** API trail table, or undefined when that trail is off. */
  apiTable?: string;
}

/**
 * The schema versions of the trail tables, oldest first. A version only ever adds nullable columns
 * and indexes, so a table made by any earlier version (this module's or go-audit's, which share the
 * layout) is brought up by adding what it lacks; nothing is dropped, retyped or rewritten.
 *
 * - `1.0`: the tables of go-audit v1.0 and of this module's 0.1.0.
 * - `1.1`: `response_headers` on the API trail (go-audit v1.1); on SQLite an index on `created_at`
 *   read as an instant, which is what the queries compare (store/trail-time.ts).
 */
export const AUDIT_SCHEMA_VERSIONS = ['1.0', '1.1'] as const;
export type AuditSchemaVersion = (typeof AUDIT_SCHEMA_VERSIONS)[number];
export const LATEST_AUDIT_SCHEMA: AuditSchemaVersion = AUDIT_SCHEMA_VERSIONS[AUDIT_SCHEMA_VERSIONS.length - 1];

interface VersionedColumn {
  name: string;
  definition: (types: AuditDialect['types']) => string;
  since: AuditSchemaVersion;
}

interface VersionedIndex extends IndexDefinition {
  since: AuditSchemaVersion;
}

interface TableLayout {
  columns: readonly VersionedColumn[];
  indexes: readonly VersionedIndex[];
}

const column = (name: string, definition: VersionedColumn['definition'], since: AuditSchemaVersion = '1.0') => ({
  name,
  definition,
  since,
});

/** Time column read as an instant on SQLite; the queries compare this very expression, so it can use the index. */
const createdInstantIndex: VersionedIndex = {
  suffix: 'created_instant',
  columns: sqliteInstant('created_at'),
  only: ['sqlite'],
  since: '1.1',
};

/** `audit_logs`, shared with go-audit. */
const DATA_TABLE: TableLayout = {
  columns: [
    column('id', (t) => t.id),
    column('entity_type', () => 'VARCHAR(100) NOT NULL'),
    column('entity_id', () => 'VARCHAR(100) NOT NULL'),
    column('action', () => 'VARCHAR(20) NOT NULL'),
    column('old_values', (t) => `${t.json} NULL`),
    column('new_values', (t) => `${t.json} NULL`),
    column('user_id', () => 'VARCHAR(100) NULL'),
    column('user_type', () => 'VARCHAR(50) NULL'),
    column('metadata', (t) => `${t.json} NULL`),
    column('transaction_id', () => 'VARCHAR(100) NULL'),
    column('created_at', (t) => t.time),
  ],
  indexes: [
    { suffix: 'entity', columns: 'entity_type, entity_id', since: '1.0' },
    { suffix: 'user', columns: 'user_id, created_at', since: '1.0' },
    { suffix: 'action', columns: 'action', since: '1.0' },
    { suffix: 'created', columns: 'created_at', since: '1.0' },
    { suffix: 'transaction', columns: 'transaction_id', since: '1.0' },
    { suffix: 'old_values', columns: 'old_values', using: 'GIN', since: '1.0' },
    { suffix: 'new_values', columns: 'new_values', using: 'GIN', since: '1.0' },
    createdInstantIndex,
  ],
};

/** `audit_api_logs`, shared with go-audit. */
const API_TABLE: TableLayout = {
  columns: [
    column('id', (t) => t.id),
    column('service', () => 'VARCHAR(100) NOT NULL'),
    column('endpoint', () => 'VARCHAR(500) NOT NULL'),
    column('method', () => 'VARCHAR(10) NOT NULL'),
    column('status_code', () => 'INTEGER NOT NULL DEFAULT 0'),
    column('request_headers', (t) => `${t.json} NULL`),
    column('response_headers', (t) => `${t.json} NULL`, '1.1'),
    column('request_body', (t) => `${t.json} NULL`),
    column('response_body', (t) => `${t.json} NULL`),
    column('duration_ms', () => 'INTEGER NOT NULL DEFAULT 0'),
    column('error_message', () => 'TEXT NULL'),
    column('user_id', () => 'VARCHAR(100) NULL'),
    column('metadata', (t) => `${t.json} NULL`),
    column('transaction_id', () => 'VARCHAR(100) NULL'),
    column('created_at', (t) => t.time),
    // Set by this module on every row it writes, so a batch sent again after a lost reply is not
    // stored twice; NULL on go-audit's rows (a unique index allows any number of NULLs).
    column('call_id', () => 'VARCHAR(36) NULL', '1.1'),
  ],
  indexes: [
    { suffix: 'call', columns: 'call_id', unique: true, since: '1.1' },
    { suffix: 'service', columns: 'service, created_at', since: '1.0' },
    { suffix: 'status', columns: 'status_code', since: '1.0' },
    { suffix: 'user', columns: 'user_id', since: '1.0' },
    { suffix: 'created', columns: 'created_at', since: '1.0' },
    { suffix: 'transaction', columns: 'transaction_id', since: '1.0' },
    createdInstantIndex,
  ],
};

function upTo<T extends { since: AuditSchemaVersion }>(items: readonly T[], version: AuditSchemaVersion): T[] {
  const last = AUDIT_SCHEMA_VERSIONS.indexOf(version);
  return items.filter((item) => AUDIT_SCHEMA_VERSIONS.indexOf(item.since) <= last);
}

function layoutsOf(tables: AuditTableNames): Array<[string, TableLayout]> {
  return [
    ...(tables.dataTable ? [[tables.dataTable, DATA_TABLE] as [string, TableLayout]] : []),
    ...(tables.apiTable ? [[tables.apiTable, API_TABLE] as [string, TableLayout]] : []),
  ];
}

function createStatements(dialect: AuditDialect, table: string, layout: TableLayout, version: AuditSchemaVersion) {
  return dialect.tableStatements(
    table,
    upTo(layout.columns, version).map((c) => `${c.name} ${c.definition(dialect.types)}`),
    upTo(layout.indexes, version),
  );
}

/** The idempotent DDL that creates the enabled trails' tables at the latest schema. */
export function auditTableStatements(dialect: AuditDialect, tables: AuditTableNames): string[] {
  return layoutsOf(tables).flatMap(([table, layout]) => createStatements(dialect, table, layout, LATEST_AUDIT_SCHEMA));
}

/** What `upgradeAuditTables` did to one table. */
export interface TableUpgrade {
  table: string;
  created: boolean;
  addedColumns: string[];
  addedIndexes: string[];
}

/**
 * Brings the enabled trails' tables to schema `version` (the latest by default): a missing table is
 * created; an existing one, whoever created it, gains the columns and indexes it lacks. Safe to run
 * at every start-up and from several processes: every step first looks at what is there.
 */
export async function upgradeAuditTables(
  executor: SqlExecutor,
  dialect: AuditDialect,
  tables: AuditTableNames,
  version: AuditSchemaVersion = LATEST_AUDIT_SCHEMA,
): Promise<TableUpgrade[]> {
  const upgrades: TableUpgrade[] = [];
  for (const [table, layout] of layoutsOf(tables)) {
    const existing = await namesOf(executor, dialect.columnsQuery(table));
    if (existing.size === 0) {
      for (const statement of createStatements(dialect, table, layout, version)) await executor.query(statement);
      upgrades.push({ table, created: true, addedColumns: [], addedIndexes: [] });
      continue;
    }
    const addedColumns: string[] = [];
    for (const wanted of upTo(layout.columns, version)) {
      if (existing.has(wanted.name.toLowerCase())) continue;
      await executor.query(dialect.addColumn(table, `${wanted.name} ${wanted.definition(dialect.types)}`));
      addedColumns.push(wanted.name);
    }
    const indexesQuery = dialect.indexesQuery(table);
    const indexes = indexesQuery ? await namesOf(executor, indexesQuery) : undefined;
    const addedIndexes: string[] = [];
    for (const index of upTo(layout.indexes, version)) {
      if (!hasIndex(dialect, index)) continue;
      const name = indexName(table, index.suffix);
      if (indexes?.has(name.toLowerCase())) continue;
      await executor.query(dialect.createIndex(table, index));
      // Without a catalogue query the statement was IF NOT EXISTS: it may have found the index there.
      if (indexes) addedIndexes.push(name);
    }
    upgrades.push({ table, created: false, addedColumns, addedIndexes });
  }
  return upgrades;
}

async function namesOf(executor: SqlExecutor, [sql, parameters]: [string, unknown[]]): Promise<Set<string>> {
  const rows = rowsOf(await executor.query(sql, parameters));
  return new Set(rows.map((row) => String(row.name ?? row.NAME ?? Object.values(row)[0]).toLowerCase()));
}

/** Creates or upgrades the tables (see `upgradeAuditTables`); run at start-up when `autoMigrate` is on. */
export async function ensureAuditTables(
  executor: SqlExecutor,
  dialect: AuditDialect,
  tables: AuditTableNames,
): Promise<void> {
  await upgradeAuditTables(executor, dialect, tables);
}

const DEFAULT_TABLES: AuditTableNames = { dataTable: 'audit_logs', apiTable: 'audit_api_logs' };
const MIGRATION_NAMES: Record<AuditSchemaVersion, string> = {
  '1.0': 'AuditTrailTables',
  '1.1': 'AuditTrailSchema11',
};

function migrationFor(
  tables: AuditTableNames,
  version: AuditSchemaVersion,
  timestamp: number,
): new () => MigrationInterface {
  const name = `${MIGRATION_NAMES[version]}${timestamp}`;
  const isFirst = version === AUDIT_SCHEMA_VERSIONS[0];
  const migration = class implements MigrationInterface {
    readonly name = name;

    async up(queryRunner: QueryRunner): Promise<void> {
      await upgradeAuditTables(queryRunner, dialectFor(queryRunner.connection.options.type), tables, version);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      // Later steps only add; taking back what an audit trail holds is never done by a migration.
      if (!isFirst) return;
      const dialect = dialectFor(queryRunner.connection.options.type);
      for (const table of [tables.apiTable, tables.dataTable]) {
        if (table) await queryRunner.query(`DROP TABLE IF EXISTS ${dialect.quote(table)}`);
      }
    }
  };
  Object.defineProperty(migration, 'name', { value: name });
  return migration;
}

/**
 * One TypeORM migration per schema version, for applications that run their own migrations with
 * `autoMigrate: false`; each runs the same steps as the start-up upgrade, up to its version:
 *
 *   migrations: [...createAuditMigrations()]            // audit_logs and audit_api_logs
 *   migrations: [...createAuditMigrations({ dataTable: 'order_audit', apiTable: undefined })]
 *
 * The first keeps the name 0.1.0's `createAuditMigration()` gave (`AuditTrailTables<timestamp>`),
 * so an application that ran it runs only the later ones.
 */
export function createAuditMigrations(
  tables: AuditTableNames = DEFAULT_TABLES,
  timestamp = 1767225600000,
): Array<new () => MigrationInterface> {
  return AUDIT_SCHEMA_VERSIONS.map((version, index) => migrationFor(tables, version, timestamp + index));
}

/**
 * The first of `createAuditMigrations()`: it creates the tables at the latest schema, but an
 * application that already ran it under 0.1.0 will not run it again; list `createAuditMigrations()`
 * instead to receive the later steps.
 */
export function createAuditMigration(
  tables: AuditTableNames = DEFAULT_TABLES,
  timestamp = 1767225600000,
): new () => MigrationInterface {
  const name = `AuditTrailTables${timestamp}`;
  const migration = class implements MigrationInterface {
    readonly name = name;

    async up(queryRunner: QueryRunner): Promise<void> {
      await upgradeAuditTables(queryRunner, dialectFor(queryRunner.connection.options.type), tables);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      const dialect = dialectFor(queryRunner.connection.options.type);
      for (const table of [tables.apiTable, tables.dataTable]) {
        if (table) await queryRunner.query(`DROP TABLE IF EXISTS ${dialect.quote(table)}`);
      }
    }
  };
  Object.defineProperty(migration, 'name', { value: name });
  return migration;
}
