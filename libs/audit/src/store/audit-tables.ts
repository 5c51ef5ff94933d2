import type { MigrationInterface, QueryRunner } from 'typeorm';
import { type AuditDialect, dialectFor } from './audit-dialect';
import type { SqlExecutor } from './sql-executor';

export interface AuditTableNames {
  /** Data trail table, or undefined when that trail is off. */
  dataTable?: string;
  /** API trail table, or undefined when that trail is off. */
  apiTable?: string;
}

/** SPEC.md "Tables": `audit_logs`, shared with the Go library. */
function dataTable(dialect: AuditDialect, table: string): string[] {
  const t = dialect.types;
  return dialect.tableStatements(
    table,
    [
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
    ],
    [
      { suffix: 'entity', columns: 'entity_type, entity_id' },
      { suffix: 'user', columns: 'user_id, created_at' },
      { suffix: 'action', columns: 'action' },
      { suffix: 'created', columns: 'created_at' },
      { suffix: 'transaction', columns: 'transaction_id' },
      { suffix: 'old_values', columns: 'old_values', using: 'GIN' },
      { suffix: 'new_values', columns: 'new_values', using: 'GIN' },
    ],
  );
}

/** SPEC.md "Tables": `audit_api_logs`, shared with the Go library. */
function apiTable(dialect: AuditDialect, table: string): string[] {
  const t = dialect.types;
  return dialect.tableStatements(
    table,
    [
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
    ],
    [
      { suffix: 'service', columns: 'service, created_at' },
      { suffix: 'status', columns: 'status_code' },
      { suffix: 'user', columns: 'user_id' },
      { suffix: 'created', columns: 'created_at' },
      { suffix: 'transaction', columns: 'transaction_id' },
    ],
  );
}

/** The idempotent DDL of the enabled trails. */
export function auditTableStatements(dialect: AuditDialect, tables: AuditTableNames): string[] {
  return [
    ...(tables.dataTable ? dataTable(dialect, tables.dataTable) : []),
    ...(tables.apiTable ? apiTable(dialect, tables.apiTable) : []),
  ];
}

/** Creates the tables and indexes that are missing; safe to run at every start-up. */
export async function ensureAuditTables(
  executor: SqlExecutor,
  dialect: AuditDialect,
  tables: AuditTableNames,
): Promise<void> {
  for (const statement of auditTableStatements(dialect, tables)) {
    await executor.query(statement);
  }
}

/**
 * A TypeORM migration that creates the audit tables, for applications that run their own
 * migrations with `autoMigrate: false`:
 *
 *   migrations: [createAuditMigration()]            // audit_logs and audit_api_logs
 *   migrations: [createAuditMigration({ dataTable: 'order_audit', apiTable: undefined })]
 */
export function createAuditMigration(
  tables: AuditTableNames = { dataTable: 'audit_logs', apiTable: 'audit_api_logs' },
  timestamp = 1767225600000,
): new () => MigrationInterface {
  const name = `AuditTrailTables${timestamp}`;
  const migration = class implements MigrationInterface {
    readonly name = name;

    async up(queryRunner: QueryRunner): Promise<void> {
      await ensureAuditTables(queryRunner, dialectFor(queryRunner.connection.options.type), tables);
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
