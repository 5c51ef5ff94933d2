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
} from './options/audit-options';
export { AuditOptionsError, TABLE_NAME_PATTERN } from './options/audit-options.validation';
export { AuditService } from './module/audit.service';
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
export { nextCursor } from './store/page-cursor';
export type { TransactionTrail, TimelineItem } from './queries/transaction-trail';
export type { EntitySnapshot, RestoreResult, RestoreOptions } from './queries/history/entity-history';
export { entityFromValues } from './queries/history/entity-values';
export type { PurgeOptions, PurgeResult } from './queries/purge/audit-purge';
export { newTransactionId, isSafeTransactionId, TRANSACTION_ID_PATTERN } from './transaction/transaction-id';
export { TransactionIdMiddleware } from './transaction/transaction-id.middleware';
export { TransactionIdInterceptor } from './transaction/transaction-id.interceptor';
export { redactHeaders, redactBody, REDACTED } from './trails/api/redaction';
export { truncateBody } from './trails/api/truncation';
export { ApiTrailWriteError, MAX_QUEUED_ROWS } from './trails/api/api-trail.recorder';
export { AUDIT_SERVICE_HEADER } from './trails/api/call-target';
