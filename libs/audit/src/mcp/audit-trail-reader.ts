import type { ApiLogStore } from '../store/api-log.store';
import type { ApiLog, ApiLogFilter, DataLog, DataLogFilter } from '../store/audit-entry';
import type { DataLogStore } from '../store/data-log.store';
import type { SqlExecutor } from '../store/sql-executor';
import { replayEntity } from '../queries/history/replay';

/** What the MCP tools read: the two trails, one transaction, one entity at one moment. Nothing writes. */
export interface AuditTrailReader {
  queryDataLogs(filter: DataLogFilter): Promise<DataLog[]>;
  queryApiLogs(filter: ApiLogFilter): Promise<ApiLog[]>;
  queryByTransaction(transactionId: string): Promise<{ dataLogs: DataLog[]; apiLogs: ApiLog[] }>;
  /** The entity's fields at `at`, or null when it did not exist (or was deleted) then. */
  snapshot(entityType: string, entityId: string, at: Date): Promise<Record<string, unknown> | null>;
}

/**
 * A reader over the stores, through any executor (the app's DataSource, or the one the command
 * line opened). A trail that is off (no store) reads as empty.
 */
export function storeTrailReader(
  executor: SqlExecutor,
  dataLogs: DataLogStore | undefined,
  apiLogs: ApiLogStore | undefined,
): AuditTrailReader {
  return {
    queryDataLogs: async (filter) => (dataLogs ? dataLogs.find(executor, filter) : []),
    queryApiLogs: async (filter) => (apiLogs ? apiLogs.find(executor, filter) : []),
    queryByTransaction: async (transactionId) => ({
      dataLogs: dataLogs ? await dataLogs.findInOrder(executor, { transactionId }) : [],
      apiLogs: apiLogs ? await apiLogs.findInOrder(executor, transactionId) : [],
    }),
    snapshot: async (entityType, entityId, at) => {
      if (!dataLogs) return null;
      const logs = await dataLogs.findInOrder(executor, { entityType, entityId, to: at, byId: true });
      const state = replayEntity(logs, at);
      return state.exists ? state.values : null;
    },
  };
}
