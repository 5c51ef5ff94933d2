import type { MigrationInterface, QueryRunner } from 'typeorm';
import { type AuditDialect, dialectFor } from './audit-dialect';
import type { SqlExecutor } from './sql-executor';

export interface AuditTableNames {
  /** Data trail table, or undefined when that trail is off. */
  dataTable?: string;
  /** API trail table, or undefined when that trail is off. */
  apiTable?: string;
}

/** The idempotent DDL of the enabled trails. */
export function auditTableStatements(dialect: AuditDialect, tables: AuditTableNames): string[] {
  return [
    ...(tables.dataTable ? dialect.dataTableStatements(tables.dataTable) : []),
    ...(tables.apiTable ? dialect.apiTableStatements(tables.apiTable) : []),
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
