import type { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { DataTrailRecorder } from '../../trails/data/data-trail.recorder';
import type { AuditValues } from '../../store/audit-entry';
import type { AuditStorage } from '../../store/audit-storage';
import type { SqlExecutor } from '../../store/sql-executor';
import { entityFromValues, primaryKeyWhere, propertyPathsOf } from './entity-values';
import { replayEntity } from './replay';

/** An entity as it was at one moment (docs/behaviour.md, "Queries": snapshot). */
export interface EntitySnapshot {
  /** False before it was created, after it was deleted, and while it was soft-deleted. */
  exists: boolean;
  /** Its fields by column name, 0, false and '' included; null whenever `exists` is false. */
  values: AuditValues | null;
}

/** What `restore` found for the target moment, for the caller (or `applyRestore`) to apply. */
export interface RestoreResult {
  /**
   * The target state by column name. Null when no row existed then (not yet created, or deleted):
   * applying it means deleting the row. For a moment when the entity was soft-deleted it is that
   * soft-deleted row, delete date included: applying it soft-deletes again rather than destroying
   * the row.
   */
  values: AuditValues | null;
  /** True when the entity was not live at the target moment: not yet created, deleted or soft-deleted. */
  wasDeleted: boolean;
}

export interface RestoreOptions {
  /** Write the `restore` row in this EntityManager's open transaction, so it commits or rolls back with it. */
  manager?: EntityManager;
}

// Later than any row can be stamped: "the current state" must not depend on this server's clock.
const END_OF_TIME = new Date(8_640_000_000_000_000);

/**
 * Snapshot and restore (docs/behaviour.md, "Queries"), rebuilt from the data trail by `replayEntity`. An entity
 * is named as the trail names it: `entity_type` (the table name) and `entity_id` (the key as text).
 */
export class EntityHistory {
  constructor(
    private readonly storage: AuditStorage,
    private readonly recorder: DataTrailRecorder,
  ) {}

  async snapshot(entityType: string, entityId: string, at: Date): Promise<EntitySnapshot> {
    checkEntity(entityType, entityId, at);
    const logs = await this.storage.dataLogs.findInOrder(this.storage.dataSource, {
      entityType,
      entityId,
      to: at,
      byId: true,
    });
    const state = replayEntity(logs, at);
    // The replay keeps a soft-deleted row's fields (a restore may want them); a snapshot does not.
    return state.exists ? state : { exists: false, values: null };
  }

  /**
   * Writes a `restore` row (old: the current state, new: the state at `at`) and returns the target
   * for the caller to apply. It does not touch the entity's table; `applyRestore` does both.
   */
  async restore(entityType: string, entityId: string, at: Date, options: RestoreOptions = {}): Promise<RestoreResult> {
    checkEntity(entityType, entityId, at);
    if (this.recorder.isExcludedType(entityType)) {
      throw new Error(
        `nestjs-audit-trail: entity type "${entityType}" is excluded from the data trail; it cannot be restored`,
      );
    }
    const manager = options.manager;
    const executor: SqlExecutor = manager ?? this.storage.dataSource;
    const logs = await this.storage.dataLogs.findInOrder(executor, { entityType, entityId, byId: true });
    if (logs.length === 0) {
      throw new Error(
        `nestjs-audit-trail: nothing is recorded for ${entityType}#${entityId}, so there is no state to restore`,
      );
    }
    const current = replayEntity(logs, END_OF_TIME);
    const target = replayEntity(logs, at);
    await this.recorder.recordEntry(
      {
        entityType,
        entityId,
        action: 'restore',
        oldValues: current.values,
        newValues: target.values,
        metadata: { restoredTo: at.toISOString() },
      },
      manager,
    );
    return { values: target.values, wasDeleted: !target.exists };
  }

  /**
   * `restore` plus the write that makes the table match, in one database transaction (the caller's
   * when `manager` has one open): the row is inserted again, updated, or deleted. The subscriber's own
   * row for that write is suppressed, so the trail holds exactly one `restore` row for it, and a later
   * snapshot replays to the same values as the table.
   *
   * Every column the trail holds for the target moment is written as it was, the update-date and
   * version columns included (TypeORM would otherwise stamp them anew and the table would disagree
   * with the trail). Columns the trail does not hold (excluded fields, columns added since) keep their
   * current value on an update and take their default on an insert.
   */
  async applyRestore<T extends ObjectLiteral>(
    manager: EntityManager,
    target: EntityTarget<T>,
    entityId: string,
    at: Date,
  ): Promise<RestoreResult> {
    if (manager.connection !== this.storage.dataSource) {
      throw new Error('nestjs-audit-trail: applyRestore needs an EntityManager of the audited DataSource');
    }
    const metadata = manager.connection.getMetadata(target);
    checkEntity(metadata.tableName, entityId, at);
    const where = primaryKeyWhere(metadata, entityId);
    return inTransaction(manager, async (transactional) => {
      // Locking the row first keeps "the current state" steady: a concurrent writer's trail rows
      // commit before it releases the lock, so the replay below already sees them.
      const existing = await transactional.findOne(metadata.target, {
        where,
        withDeleted: true,
        loadEagerRelations: false,
        ...(this.storage.dialect.rowLock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
      });
      const result = await this.restore(metadata.tableName, entityId, at, { manager: transactional });
      await this.recorder.withoutRecording(transactional.queryRunner!, metadata.tableName, entityId, () =>
        writeRow(transactional, metadata, where, existing !== null, result.values),
      );
      return result;
    });
  }
}

/** Bad arguments would otherwise read as "no such entity" and replay to nothing. */
function checkEntity(entityType: string, entityId: string, at: Date): void {
  if (typeof entityType !== 'string' || entityType === '') {
    throw new Error('nestjs-audit-trail: an entity type (the table name) is required');
  }
  if (typeof entityId !== 'string' || entityId === '') {
    throw new Error(`nestjs-audit-trail: an entity id is required for ${entityType}`);
  }
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new Error(`nestjs-audit-trail: a valid Date is required for the moment of ${entityType}#${entityId}`);
  }
}

async function writeRow(
  manager: EntityManager,
  metadata: EntityMetadata,
  where: ObjectLiteral,
  exists: boolean,
  values: AuditValues | null,
): Promise<void> {
  if (values === null) {
    if (exists) await manager.createQueryBuilder().delete().from(metadata.target).where(where).execute();
    return;
  }
  // The row is restored under the key it was asked for, whatever key the recorded values carry.
  const entity = Object.assign(entityFromValues(metadata, values), where);
  if (!exists) {
    // Naming the columns makes TypeORM write a generated key too, so the row comes back under its old id.
    await manager
      .createQueryBuilder()
      .insert()
      .into(metadata.target, [
        ...new Set([
          ...propertyPathsOf(metadata, values),
          ...metadata.primaryColumns.map((column) => column.propertyPath),
        ]),
      ])
      .values(entity)
      .execute();
    return;
  }
  for (const column of metadata.primaryColumns) delete entity[column.propertyName];
  if (Object.keys(entity).length === 0) return;
  await manager.createQueryBuilder().update(metadata.target).set(entity).where(where).execute();
}

function inTransaction<T>(manager: EntityManager, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  return manager.queryRunner?.isTransactionActive ? work(manager) : manager.transaction(work);
}
