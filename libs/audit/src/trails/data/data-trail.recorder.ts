import { Logger } from '@nestjs/common';
import type { EntityMetadata, ObjectLiteral, QueryRunner } from 'typeorm';
import type { ResolvedDataAuditOptions } from '../../options/audit-options';
import type { AuditValues, DataAction, DataEntry } from '../../store/audit-entry';
import type { DataLogStore, StampedDataEntry } from '../../store/data-log.store';
import type { SqlExecutor } from '../../store/sql-executor';
import type { AuditContext } from '../../transaction/audit-context';
import { isSafeTransactionId, newTransactionId } from '../../transaction/transaction-id';
import { columnValues, entityIdOf } from './column-values';
import { diffValues, withoutFields } from './data-diff';

interface PendingEntry {
  /** Transaction depth the change happened at; a rolled-back savepoint drops its own entries. */
  depth: number;
  entry: StampedDataEntry;
}

/** What one entity event carries before diffing. */
export interface EntityChange {
  metadata: EntityMetadata;
  action: DataAction;
  /** The row before the write (the database's copy), if known. */
  before?: ObjectLiteral | null;
  /** The entity after the write, possibly partial. */
  after?: ObjectLiteral | null;
}

function silenceKey(entityType: string, entityId: string): string {
  return JSON.stringify([entityType, entityId]);
}

function depthOf(queryRunner: QueryRunner): number {
  // TypeORM keeps the savepoint depth in a protected field; releases before 0.3.13 have none (no nesting).
  return (queryRunner as unknown as { transactionDepth?: number }).transactionDepth ?? 1;
}

/**
 * Turns entity changes into data-trail rows (SPEC.md "Data trail") and writes them atomically with
 * the business write: inside a database transaction the rows wait, per query runner, for the commit
 * and go in as one multi-row INSERT just before it; outside one they are written at once.
 */
export class DataTrailRecorder {
  private readonly logger = new Logger('AuditTrail');
  private readonly pending = new WeakMap<QueryRunner, PendingEntry[]>();
  private readonly excludedColumns = new WeakMap<EntityMetadata, ReadonlySet<string>>();
  /** Entities (by `silenceKey`) whose events on a query runner are not recorded: see `withoutRecording`. */
  private readonly silenced = new WeakMap<QueryRunner, Set<string>>();

  constructor(
    private readonly store: DataLogStore,
    private readonly options: ResolvedDataAuditOptions,
    private readonly context: AuditContext,
  ) {}

  /** Whether rows of this entity are recorded at all. */
  audits(metadata: EntityMetadata): boolean {
    const excluded = this.options.excludeEntities;
    return (
      metadata.tableName !== this.store.tableName &&
      !excluded.has(metadata.tableName) &&
      !excluded.has(metadata.name) &&
      metadata.primaryColumns.length > 0
    );
  }

  /** Builds the row of one change, or null when there is nothing to record (a no-op update). */
  entryFor(change: EntityChange): StampedDataEntry | null {
    const { metadata, action } = change;
    if (!this.audits(metadata)) return null;
    const entityId = entityIdOf(metadata, change.after) ?? entityIdOf(metadata, change.before);
    if (entityId === undefined) return null;

    const excluded = this.excludedFor(metadata);
    const before = withoutFields(columnValues(metadata, change.before), excluded);
    const after = withoutFields(columnValues(metadata, change.after), excluded);
    let oldValues: AuditValues | null;
    let newValues: AuditValues | null;
    switch (action) {
      case 'create':
        [oldValues, newValues] = [null, after];
        break;
      case 'delete':
        // A delete without a captured pre-image stores the values known from the entity.
        [oldValues, newValues] = [before ?? after, null];
        break;
      case 'update': {
        const diff = diffValues(before, after, true);
        if (!diff.newValues || this.onlyBookkeeping(metadata, diff.newValues)) return null;
        [oldValues, newValues] = [this.options.skipOldValues ? null : diff.oldValues, diff.newValues];
        break;
      }
      default: {
        // soft_delete and restore: the whole row before, the fields that moved after.
        const diff = diffValues(before, after, true);
        [oldValues, newValues] = [this.options.skipOldValues ? null : before, diff.newValues];
      }
    }
    return this.stamp({ entityType: metadata.tableName, entityId, action, oldValues, newValues });
  }

  /** Completes an entry with user, request metadata, transaction ID and time. */
  stamp(entry: DataEntry): StampedDataEntry {
    if (entry.transactionId && !isSafeTransactionId(entry.transactionId)) {
      // Same rule as for a header: the column holds 100 characters and the ID ends up in logs and URLs.
      throw new Error('nestjs-audit-trail: transactionId must be 1 to 100 characters from A-Z a-z 0-9 _ . : -');
    }
    const user = entry.userId ? { id: entry.userId, type: entry.userType ?? 'user' } : this.context.user();
    const requestMetadata = this.context.requestMetadata();
    const metadata = requestMetadata || entry.metadata ? { ...requestMetadata, ...entry.metadata } : null;
    return {
      entityType: entry.entityType,
      entityId: entry.entityId,
      action: entry.action,
      oldValues: entry.oldValues ?? null,
      newValues: entry.newValues ?? null,
      userId: user.id,
      userType: user.type,
      metadata,
      transactionId: entry.transactionId || this.context.transactionId() || '',
      createdAt: entry.createdAt ?? new Date(),
    };
  }

  /** Queues the entry on the caller's open transaction, or writes it now when there is none. */
  async record(queryRunner: QueryRunner | undefined, entry: StampedDataEntry | null): Promise<void> {
    if (!entry) return;
    if (queryRunner && this.silenced.get(queryRunner)?.has(silenceKey(entry.entityType, entry.entityId))) return;
    if (queryRunner?.isTransactionActive) {
      const queue = this.pending.get(queryRunner) ?? [];
      queue.push({ depth: depthOf(queryRunner), entry });
      this.pending.set(queryRunner, queue);
      return;
    }
    await this.write(queryRunner, [entry], false);
  }

  /**
   * Runs `write` with the events of that one entity on this query runner left unrecorded. For
   * AuditService.applyRestore: its `restore` row already accounts for the write, and an extra
   * update/create/delete row would replay the same change twice. Other entities, and rows recorded
   * before or after, are unaffected.
   */
  async withoutRecording<T>(
    queryRunner: QueryRunner,
    entityType: string,
    entityId: string,
    write: () => Promise<T>,
  ): Promise<T> {
    const key = silenceKey(entityType, entityId);
    const keys = this.silenced.get(queryRunner) ?? new Set<string>();
    this.silenced.set(queryRunner, keys);
    keys.add(key);
    try {
      return await write();
    } finally {
      keys.delete(key);
    }
  }

  /** Called just before COMMIT (or RELEASE SAVEPOINT) on this query runner. */
  async beforeCommit(queryRunner: QueryRunner): Promise<void> {
    const queue = this.pending.get(queryRunner);
    if (!queue?.length) return;
    const depth = depthOf(queryRunner);
    if (depth > 1) {
      // A released savepoint's rows now belong to the enclosing transaction.
      for (const item of queue) if (item.depth >= depth) item.depth = depth - 1;
      return;
    }
    this.pending.delete(queryRunner);
    await this.write(
      queryRunner,
      queue.map((item) => item.entry),
      true,
    );
  }

  /** Called just before ROLLBACK (or ROLLBACK TO SAVEPOINT): the rolled-back rows are dropped. */
  beforeRollback(queryRunner: QueryRunner): void {
    const queue = this.pending.get(queryRunner);
    if (!queue) return;
    const depth = depthOf(queryRunner);
    const kept = queue.filter((item) => item.depth < depth);
    if (kept.length) this.pending.set(queryRunner, kept);
    else this.pending.delete(queryRunner);
  }

  /**
   * Writes through the caller's query runner, so no extra pool connection is taken. Rows written
   * outside any scope share one generated ID per ORM call, so a batch stays grouped.
   */
  async write(executor: SqlExecutor | undefined, entries: StampedDataEntry[], inTransaction: boolean): Promise<void> {
    let batchId: string | undefined;
    for (const entry of entries) {
      if (!entry.transactionId) entry.transactionId = batchId ??= newTransactionId();
    }
    if (!executor) throw new Error('nestjs-audit-trail: no query runner to write the data trail through');
    if (this.options.onError === 'fail-loud') {
      await this.store.insert(executor, entries);
      return;
    }
    // fail-silent: a failed INSERT must not poison the business transaction (PostgreSQL aborts the
    // whole transaction on any error), so inside one the write gets its own savepoint.
    try {
      if (inTransaction) await executor.query('SAVEPOINT audit_trail_write');
      await this.store.insert(executor, entries);
      if (inTransaction) await executor.query('RELEASE SAVEPOINT audit_trail_write');
    } catch (error) {
      if (inTransaction) {
        await executor.query('ROLLBACK TO SAVEPOINT audit_trail_write').catch(() => undefined);
      }
      this.logger.error(
        `data trail: ${entries.length} row(s) not written (${(error as Error).message}); business write kept (onError: fail-silent)`,
      );
    }
  }

  /**
   * TypeORM bumps `@UpdateDateColumn` and `@VersionColumn` on every save, even one that changed
   * nothing else we record; such an update is a no-op for the trail (SPEC.md: no row).
   */
  private onlyBookkeeping(metadata: EntityMetadata, changed: AuditValues): boolean {
    const bookkeeping = [metadata.updateDateColumn?.databaseName, metadata.versionColumn?.databaseName];
    return Object.keys(changed).every((key) => bookkeeping.includes(key));
  }

  private excludedFor(metadata: EntityMetadata): ReadonlySet<string> {
    let excluded = this.excludedColumns.get(metadata);
    if (!excluded) {
      const names = this.options.excludeFields;
      excluded = new Set(
        metadata.columns
          .filter((column) => names.has(column.databaseName) || names.has(column.propertyName))
          .map((column) => column.databaseName),
      );
      this.excludedColumns.set(metadata, excluded);
    }
    return excluded;
  }
}
