import type { AuditStorage } from '../../store/audit-storage';
import { purgeTable } from './trail-purge';

export interface PurgeOptions {
  /** Count the rows that would be deleted, delete nothing. Default false. */
  dryRun?: boolean;
  /** Rows per DELETE statement. Default: `retention.batchSize` (1000). */
  batchSize?: number;
}

/** Rows deleted (or, on a dry run, that would be) per trail; 0 for a trail that is not enabled. */
export interface PurgeResult {
  dataLogs: number;
  apiLogs: number;
}

/**
 * Deletes rows strictly older than `before` from each enabled trail, one trail after the other, in
 * bounded batches (see `purgeTable`); docs/behaviour.md, "Retention".
 */
export async function purgeAuditTrails(
  storage: AuditStorage,
  before: Date,
  options: PurgeOptions = {},
): Promise<PurgeResult> {
  if (!(before instanceof Date) || Number.isNaN(before.getTime())) {
    throw new Error(`nestjs-audit-trail: purge needs a valid Date to delete rows before (got ${String(before)})`);
  }
  const batchSize = options.batchSize ?? storage.options.retention.batchSize;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new Error(`nestjs-audit-trail: purge batchSize must be an integer >= 1 (got ${String(options.batchSize)})`);
  }
  const purge = { before, batchSize, dryRun: options.dryRun === true };
  // One pooled connection for the whole purge; every statement on it commits on its own.
  const runner = storage.dataSource.createQueryRunner();
  try {
    const dataLogs = storage.options.dataAudit.enabled ? await purgeTable(runner, storage.dataLogs, purge) : 0;
    const apiLogs = storage.options.apiAudit.enabled ? await purgeTable(runner, storage.apiLogs, purge) : 0;
    return { dataLogs, apiLogs };
  } finally {
    await runner.release();
  }
}
