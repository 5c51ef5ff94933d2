import type { AuditValues, DataLog } from '../../store/audit-entry';

/** An entity as its data trail says it was at one moment. */
export interface EntityState {
  /** False before it was created, after it was deleted, and while it was soft-deleted. */
  exists: boolean;
  /**
   * Its fields by column name. Null when there was no row at all (never created, or hard-deleted);
   * kept while soft-deleted, because the row is still in the table and a restore may want it.
   */
  values: Record<string, unknown> | null;
}

export type ReplayedLog = Pick<DataLog, 'id' | 'action' | 'oldValues' | 'newValues' | 'createdAt'>;

/**
 * Rebuilds an entity from its data-trail rows as of `at` (inclusive).
 *
 * Values are only ever tested with `=== null` / `=== undefined`: 0, false and '' are real field values
 * and must come out of a replay as they went in.
 */
export function replayEntity(logs: readonly ReplayedLog[], at: Date): EntityState {
  const until = at.getTime();
  // Rows written in the same millisecond (one transaction) share created_at; the auto-increment id is
  // the order they were written in.
  const ordered = logs
    .filter((log) => log.createdAt.getTime() <= until)
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id);

  let values: AuditValues | null = null;
  let exists = false;
  // The delete-date column's name is whatever the entity maps it to; the soft_delete rows reveal it.
  const softDeleteColumns = new Set<string>();
  const isSoftDeleted = (state: AuditValues) =>
    [...softDeleteColumns].some((column) => state[column] !== null && state[column] !== undefined);

  for (const log of ordered) {
    switch (log.action) {
      case 'create':
        values = { ...log.newValues };
        exists = !isSoftDeleted(values);
        break;
      case 'update':
        // With no earlier state, auditing began after the entity was created: its old values are the
        // best account of the fields the update did not touch.
        values = { ...(values ?? log.oldValues), ...log.newValues };
        // An update can soft-delete or recover by writing the delete-date column directly.
        exists = !isSoftDeleted(values);
        break;
      case 'soft_delete':
        for (const [column, value] of Object.entries(log.newValues ?? {})) {
          if (value !== null && value !== undefined) softDeleteColumns.add(column);
        }
        values = { ...(values ?? log.oldValues), ...log.newValues };
        exists = false;
        break;
      case 'restore':
        // A restore to a moment the entity did not exist records a null target: the row goes away.
        if (log.newValues === null) {
          values = null;
          exists = false;
        } else {
          // TypeORM's recover() is recorded as a restore whose target is only the cleared delete date.
          values = { ...(values ?? log.oldValues), ...log.newValues };
          exists = !isSoftDeleted(values);
        }
        break;
      case 'delete':
        values = null;
        exists = false;
        break;
    }
  }

  return { exists, values: values === null ? null : { ...values } };
}
