import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager, EntityMetadata, QueryRunner } from 'typeorm';
import type { ResolvedDataAuditOptions } from '../../options/audit-options';
import type { AuditValues, DataAction, DataEntry } from '../../store/audit-entry';
import type { DataLogStore, StampedDataEntry } from '../../store/data-log.store';
import type { SqlExecutor } from '../../store/sql-executor';
import type { AuditContext } from '../../transaction/audit-context';
import { newTransactionId } from '../../transaction/transaction-id';
import { diffValues, withoutFields } from './data-diff';
import { checkDataEntry } from './data-entry.validation';

interface PendingEntry {
  /** Transaction depth the change happened at; a rolled-back savepoint drops its own entries. */
  depth: number;
  entry: StampedDataEntry;
}

/**
 * One row's change as a capture mechanism saw it in the database: both sides are column-keyed values
 * the database held (read back, not taken from the entity object), so nothing in a trail row is a
 * value the table never had.
 */
export interface RowChange {
  metadata: EntityMetadata;
  action: DataAction;
  entityId: string;
  /** The row before the statement; null for an insert. */
  before: AuditValues | null;
  /** The row after the statement; null for a delete. */
  after: AuditValues | null;
  /** When the statement ran, if the row is recorded later (an insert read back at commit). */
  at?: Date;
  /**
   * The savepoint depth the statement ran at, if the row is recorded later: an insert inside a
   * released savepoint read back inside a sibling savepoint belongs to the enclosing transaction,
   * not to the sibling that may yet roll back.
   */
  depth?: number;
  /** Who and which request the row belongs to, taken when the statement ran (see `scopeNow`). */
  scope?: RowScope;
}

/** What the current scope says about a row: its user, request metadata and transaction ID. */
export interface RowScope {
  user: { id: string; type: string };
  metadata: Record<string, unknown> | null;
  transactionId: string | undefined;
}

/** Where a change comes from: ORM capture reads whole rows; a hand-written entry may be partial. */
interface ChangeInput {
  entityType: string;
  entityId: string;
  action: DataAction;
  before: AuditValues | null;
  after: AuditValues | null;
  /** Column names dropped from both sides (`excludeFields`, by column or property name). */
  excluded: ReadonlySet<string>;
  /** `@UpdateDateColumn` / `@VersionColumn`: an update that changed only these is no change. */
  bookkeeping: readonly string[];
  /** The stamp fields a hand-written entry may set itself. */
  stamp?: Pick<DataEntry, 'userId' | 'userType' | 'metadata' | 'transactionId' | 'createdAt'>;
  /** The scope to stamp with instead of the current one. */
  scope?: RowScope;
}

function silenceKey(entityType: string, entityId: string): string {
  return JSON.stringify([entityType, entityId]);
}

function depthOf(queryRunner: QueryRunner): number {
  // TypeORM keeps the savepoint depth in a protected field; releases before 0.3.13 have none (no nesting).
  return (queryRunner as unknown as { transactionDepth?: number }).transactionDepth ?? 1;
}

/**
 * The data trail's single entry point. ORM capture (`recordRow`), `AuditService.recordDataChange`
 * (`recordEntry`) and restore (`recordEntry` with action `restore`) all turn a change into a row
 * here, so every rule (entity and field exclusions, `skipOldValues`, bookkeeping-only updates,
 * transaction-ID checks, the user) is applied in exactly one place (docs/behaviour.md).
 *
 * Rows are written atomically with the business write: inside a database transaction they wait, per
 * query runner, for the commit and go in as one multi-row INSERT just before it; outside one they are
 * written at once.
 */
export class DataTrailRecorder {
  private readonly logger = new Logger('AuditTrail');
  private readonly pending = new WeakMap<QueryRunner, PendingEntry[]>();
  private readonly excludedColumns = new WeakMap<EntityMetadata, ReadonlySet<string>>();
  private readonly audited = new WeakMap<EntityMetadata, boolean>();
  /** Entities (by `silenceKey`) whose changes on a query runner are not recorded: see `withoutRecording`. */
  private readonly silenced = new WeakMap<QueryRunner, Set<string>>();

  constructor(
    private readonly store: DataLogStore,
    private readonly options: ResolvedDataAuditOptions,
    private readonly context: AuditContext,
    /** The audited DataSource: its entities name entity types, and it writes rows made outside a transaction. */
    private readonly dataSource: DataSource,
  ) {}

  private get entities(): readonly EntityMetadata[] {
    return this.dataSource.entityMetadatas;
  }

  /** Whether rows of this entity (or join table) are recorded at all. */
  audits(metadata: EntityMetadata): boolean {
    // Asked for every statement TypeORM runs; an entity's answer never changes once it is built.
    let audited = this.audited.get(metadata);
    if (audited === undefined) {
      audited =
        metadata.tableName !== this.store.tableName &&
        !this.isExcludedType(metadata.tableName) &&
        metadata.primaryColumns.length > 0;
      this.audited.set(metadata, audited);
    }
    return audited;
  }

  /**
   * Whether an entity type is excluded, however it is named: `excludeEntities` may list a table name
   * or a class name, and a hand-written entry or a restore names the table.
   */
  isExcludedType(entityType: string): boolean {
    const excluded = this.options.excludeEntities;
    if (excluded.has(entityType)) return true;
    return this.entities.some(
      (metadata) =>
        (metadata.tableName === entityType || metadata.name === entityType) &&
        (excluded.has(metadata.tableName) || excluded.has(metadata.name)),
    );
  }

  /** Records one row's change as ORM capture read it from the database. */
  async recordRow(queryRunner: QueryRunner, change: RowChange): Promise<void> {
    const { metadata } = change;
    if (!this.audits(metadata)) return;
    const entry = this.build({
      entityType: metadata.tableName,
      entityId: change.entityId,
      action: change.action,
      before: change.before,
      after: change.after,
      excluded: this.excludedFor(metadata),
      bookkeeping: [metadata.updateDateColumn?.databaseName, metadata.versionColumn?.databaseName].filter(
        (name): name is string => name !== undefined,
      ),
      stamp: change.at ? { createdAt: change.at } : undefined,
      scope: change.scope,
    });
    await this.record(queryRunner, entry, change.depth);
  }

  /**
   * Records a change described by hand (`AuditService.recordDataChange`, restore) under the same
   * rules. Returns false when the rules leave nothing to record (an excluded entity, an update that
   * changed nothing that is recorded).
   */
  async recordEntry(input: DataEntry, manager?: EntityManager): Promise<boolean> {
    const entry = checkDataEntry(input);
    if (this.isExcludedType(entry.entityType)) {
      throw new Error(`nestjs-audit-trail: entity type "${entry.entityType}" is excluded from the data trail`);
    }
    const metadata = this.entities.find((candidate) => candidate.tableName === entry.entityType);
    const stamped = this.build({
      entityType: entry.entityType,
      entityId: entry.entityId,
      action: entry.action,
      before: entry.oldValues ?? null,
      after: entry.newValues ?? null,
      excluded: metadata ? this.excludedFor(metadata) : this.options.excludeFields,
      bookkeeping: [],
      stamp: {
        userId: entry.userId,
        userType: entry.userType,
        metadata: entry.metadata,
        transactionId: entry.transactionId,
        createdAt: entry.createdAt,
      },
    });
    if (!stamped) return false;
    const queryRunner = manager?.queryRunner;
    if (queryRunner?.isTransactionActive) {
      await this.record(queryRunner, stamped);
      return true;
    }
    return this.write(manager ?? this.dataSource, [stamped], false);
  }

  /** The rules, once: exclusions, the diff of an update, skipOldValues, then the stamp. */
  private build(input: ChangeInput): StampedDataEntry | null {
    const before = withoutFields(input.before, input.excluded);
    const after = withoutFields(input.after, input.excluded);
    let oldValues: AuditValues | null;
    let newValues: AuditValues | null;
    switch (input.action) {
      case 'create':
        [oldValues, newValues] = [null, after];
        break;
      case 'delete':
        [oldValues, newValues] = [before ?? after, null];
        break;
      case 'update': {
        const diff = diffValues(before, after);
        if (!diff.oldValues && !diff.newValues) return null;
        const changed = Object.keys({ ...diff.oldValues, ...diff.newValues });
        if (changed.every((key) => input.bookkeeping.includes(key))) return null;
        [oldValues, newValues] = [diff.oldValues, diff.newValues];
        break;
      }
      case 'soft_delete': {
        // The whole row before, the fields that moved after.
        [oldValues, newValues] = [before, diffValues(before, after, true).newValues];
        break;
      }
      case 'restore':
        // The whole target state: a restore row replaces the state when the trail is replayed.
        [oldValues, newValues] = [before, after];
        break;
    }
    if (this.options.skipOldValues && input.action !== 'delete') oldValues = null;
    return this.stamp(
      {
        entityType: input.entityType,
        entityId: input.entityId,
        action: input.action,
        oldValues,
        newValues,
        ...input.stamp,
      },
      input.scope,
    );
  }

  /** Completes an entry with user, request metadata, transaction ID and time. */
  /**
   * The current scope, for a row recorded later than its statement ran (an insert read back at
   * commit): on SQLite concurrent requests share one connection, so the commit may run in another
   * request's scope.
   */
  scopeNow(): RowScope {
    return {
      user: this.context.user(),
      metadata: this.context.requestMetadata(),
      transactionId: this.context.transactionId(),
    };
  }

  private stamp(entry: DataEntry, scope?: RowScope): StampedDataEntry {
    const user = entry.userId
      ? { id: entry.userId, type: entry.userType ?? 'user' }
      : (scope?.user ?? this.context.user());
    const requestMetadata = scope ? scope.metadata : this.context.requestMetadata();
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
      transactionId: entry.transactionId || (scope ? scope.transactionId : this.context.transactionId()) || '',
      createdAt: entry.createdAt ?? new Date(),
    };
  }

  /** Queues the entry on the caller's open transaction, or writes it now when there is none. */
  private async record(queryRunner: QueryRunner, entry: StampedDataEntry | null, depth?: number): Promise<void> {
    if (!entry) return;
    if (this.silenced.get(queryRunner)?.has(silenceKey(entry.entityType, entry.entityId))) return;
    if (queryRunner.isTransactionActive && this.options.capture === 'database') {
      // The triggers write their rows as each statement runs; a row of the module's own (a restore,
      // a hand-written entry) goes in at once as well, so that the trail keeps the order of the
      // writes, and the transaction (or its savepoint) keeps or drops it with theirs.
      await this.write(queryRunner, [entry], true);
      return;
    }
    if (queryRunner.isTransactionActive) {
      const queue = this.pending.get(queryRunner) ?? [];
      queue.push({ depth: Math.min(depth ?? Infinity, depthOf(queryRunner)), entry });
      this.pending.set(queryRunner, queue);
      return;
    }
    await this.write(queryRunner, [entry], false);
  }

  /**
   * Runs `write` with the changes of that one entity on this query runner left unrecorded. For
   * applyRestore: its `restore` row already accounts for the write, and an extra
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

  /** Whether changes of this entity on this query runner are being left unrecorded (`withoutRecording`). */
  isSilenced(queryRunner: QueryRunner, entityType: string, entityId: string): boolean {
    return this.silenced.get(queryRunner)?.has(silenceKey(entityType, entityId)) ?? false;
  }

  /** The entities (table, entity id) being left unrecorded on this query runner now; database capture hands them to the triggers. */
  silencedEntities(queryRunner: QueryRunner): Array<[string, string]> {
    const keys = this.silenced.get(queryRunner);
    return keys?.size ? [...keys].map((key) => JSON.parse(key) as [string, string]) : [];
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
   * Writes through the caller's executor, so no extra pool connection is taken. Rows written outside
   * any scope share one generated ID per statement, so a batch stays grouped. Returns whether the
   * rows were written (false only under fail-silent, after logging why).
   */
  private async write(executor: SqlExecutor, entries: StampedDataEntry[], inTransaction: boolean): Promise<boolean> {
    let batchId: string | undefined;
    for (const entry of entries) {
      if (!entry.transactionId) entry.transactionId = batchId ??= newTransactionId();
    }
    if (this.options.onError === 'fail-loud') {
      await this.store.insert(executor, entries);
      return true;
    }
    // fail-silent: a failed INSERT must not poison the business transaction (PostgreSQL aborts the
    // whole transaction on any error), so inside one the write gets its own savepoint.
    try {
      if (inTransaction) await executor.query('SAVEPOINT audit_trail_write');
      await this.store.insert(executor, entries);
      if (inTransaction) await executor.query('RELEASE SAVEPOINT audit_trail_write');
      return true;
    } catch (error) {
      if (inTransaction) {
        await executor.query('ROLLBACK TO SAVEPOINT audit_trail_write').catch(() => undefined);
      }
      this.logger.error(
        `data trail: ${entries.length} row(s) not written (${(error as Error).message}); business write kept (onError: fail-silent)`,
      );
      return false;
    }
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
