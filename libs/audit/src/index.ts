// The public API: what an application imports. Everything else in this package is internal and may
// change without notice; docs/architecture.md describes how the parts fit together.

// The module, its options and what it provides to dependency injection.
export { AuditModule } from './module/audit.module';
export { AuditService } from './module/audit.service';
export { AuditExplorerModule } from './explorer/audit-explorer.module';
export type { AuditExplorerOptions } from './explorer/explorer-options';
export { AUDIT_OPTIONS } from './options/audit.tokens';
export type {
  AuditModuleOptions,
  AuditModuleAsyncOptions,
  AuditOptionsFactory,
  AuditOnError,
  AuditUser,
  AuditUserContext,
  AuditUserResolver,
  DataAuditOptions,
  ApiAuditOptions,
  TransactionOptions,
  RetentionOptions,
  ResolvedAuditOptions,
  ResolvedDataAuditOptions,
  ResolvedApiAuditOptions,
  ResolvedTransactionOptions,
  ResolvedRetentionOptions,
} from './options/audit-options';
export { AuditOptionsError } from './options/audit-options.validation';

// Rows, filters and query results.
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
export { nextCursor } from './store/page-cursor';
export type { TransactionTrail, TimelineItem } from './queries/transaction-trail';
export type { EntitySnapshot, RestoreResult, RestoreOptions } from './queries/history/entity-history';
export { entityFromValues } from './queries/history/entity-values';
export type { PurgeOptions, PurgeResult } from './queries/purge/audit-purge';

// Tables, for applications that run their own migrations (`autoMigrate: false`).
export { createAuditMigration } from './store/audit-tables';
export {
  createAuditTriggerMigration,
  type AuditTriggerMigrationOptions,
  CaptureTriggerDriftError,
} from './store/triggers/capture-triggers';
export { createAuditMigrations, AUDIT_SCHEMA_VERSIONS, type AuditSchemaVersion } from './store/audit-tables';

// Transaction IDs: checking one that came from a message, making one, binding the scope by hand.
export { newTransactionId, isSafeTransactionId, TRANSACTION_ID_PATTERN } from './transaction/transaction-id';
export { TransactionIdMiddleware } from './transaction/transaction-id.middleware';
export { TransactionIdInterceptor } from './transaction/transaction-id.interceptor';

// API trail: the stored redaction marker, the per-call service header, the error of a failed flush.
export { REDACTED } from './trails/api/redaction';
export { AUDIT_SERVICE_HEADER } from './trails/api/call-target';
export { ApiTrailWriteError } from './trails/api/api-trail.recorder';

// MCP: go-audit's read-only tools, on the app's HTTP server or from `npx nestjs-audit-trail mcp`.
export { AuditMcpModule, type AuditMcpOptions } from './mcp/audit-mcp.module';
export { createAuditMcpServer } from './mcp/audit-mcp.server';
export type { AuditTrailReader } from './mcp/audit-trail-reader';
