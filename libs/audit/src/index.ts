export { AuditModule } from './module/audit.module';
export type {
  AuditModuleOptions,
  AuditModuleAsyncOptions,
  AuditOnError,
  AuditUser,
  AuditUserContext,
  AuditUserResolver,
  DataAuditOptions,
  ApiAuditOptions,
  TransactionOptions,
  RetentionOptions,
} from './module/audit-options';
export { AuditOptionsError, TABLE_NAME_PATTERN } from './module/audit-options.validation';
export { AuditService } from './audit.service';
export type {
  AuditValues,
  DataAction,
  DataEntry,
  DataLog,
  DataLogFilter,
  ApiEntry,
  ApiLog,
  ApiLogFilter,
} from './store/audit-entry';
export { createAuditMigration } from './store/audit-tables';
export { newTransactionId, isSafeTransactionId, TRANSACTION_ID_PATTERN } from './transaction/transaction-id';
export { redactHeaders, redactBody, REDACTED } from './api/redaction';
export { truncateBody } from './api/truncation';
