import type { DataSource } from 'typeorm';
import type { ResolvedAuditOptions } from '../options/audit-options';
import { type AuditDialect, dialectFor } from './audit-dialect';
import { ApiLogStore } from './api-log.store';
import { ensureAuditTables } from './audit-tables';
import { DataLogStore } from './data-log.store';

/** The audited DataSource with its dialect and the stores of the enabled trails. */
export class AuditStorage {
  readonly dialect: AuditDialect;
  readonly dataLogs: DataLogStore;
  readonly apiLogs: ApiLogStore;

  constructor(
    readonly dataSource: DataSource,
    readonly options: ResolvedAuditOptions,
  ) {
    this.dialect = dialectFor(dataSource.options.type);
    this.dataLogs = new DataLogStore(this.dialect, options.dataAudit.table);
    this.apiLogs = new ApiLogStore(this.dialect, options.apiAudit.table);
  }

  /** Creates the enabled trails' tables if missing (idempotent). */
  async migrate(): Promise<void> {
    await ensureAuditTables(this.dataSource, this.dialect, {
      dataTable: this.options.dataAudit.enabled ? this.options.dataAudit.table : undefined,
      apiTable: this.options.apiAudit.enabled ? this.options.apiAudit.table : undefined,
    });
  }
}
