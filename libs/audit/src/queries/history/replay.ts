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
 * Rebuilds an entity from its data-trail rows as of `at` (inclusive), by go-audit's rules, so both
 * libraries give one answer on a shared table:
 *
 * - rows apply in id order (the order they were written), whatever their timestamps say;
 * - `create` and `restore` replace the whole state with their new values (a `restore` with no new
 *   values means the entity did not exist at the restored moment: go-audit rebuilds `{}` there);
 * - `update` merges its new values, and removes a key present in its old values but absent from its
 *   new ones (a column that was dropped);
 * - `delete` ends the entity, and so does `soft_delete` as far as `exists` is concerned; the
 *   soft-deleted row's fields are kept (go-audit keeps none) because the row is still in the table
 *   and a later update that clears its delete date brings it back.
 *
 * Values are only ever tested with `=== null` / `=== undefined`: 0, false and '' are real field values
 * and must come out of a replay as they went in.
 */
export function replayEntity(logs: readonly ReplayedLog[], at: Date): EntityState {
  const until = at.getTime();
  const ordered = logs.filter((log) => log.createdAt.getTime() <= until).sort((a, b) => a.id - b.id);

  let values: AuditValues | null = null;
  let exists = false;
  // The delete-date column's name is whatever the entity maps it to; the soft_delete rows reveal it.
  const softDeleteColumns = new Set<string>();
  const isSoftDeleted = (state: AuditValues) =>
    [...softDeleteColumns].some((column) => state[column] !== null && state[column] !== undefined);

  for (const log of ordered) {
    switch (log.action) {
      case 'create':
      case 'restore':
        if (log.action === 'restore' && log.newValues === null) {
          values = null;
          exists = false;
        } else {
          values = { ...log.newValues };
          exists = !isSoftDeleted(values);
        }
        break;
      case 'update': {
        const merged: AuditValues = { ...(values ?? {}), ...log.newValues };
        if (log.oldValues && log.newValues) {
          for (const key of Object.keys(log.oldValues)) if (!(key in log.newValues)) delete merged[key];
        }
        values = merged;
        // An update can soft-delete or recover by writing the delete-date column directly.
        exists = !isSoftDeleted(merged);
        break;
      }
      case 'soft_delete':
        for (const [column, value] of Object.entries(log.newValues ?? {})) {
          if (value !== null && value !== undefined) softDeleteColumns.add(column);
        }
        values = { ...(values ?? log.oldValues), ...log.newValues };
        exists = false;
        break;
      case 'delete':
        values = null;
        exists = false;
        break;
    }
  }

  return { exists, values: values === null ? null : { ...values } };
}
