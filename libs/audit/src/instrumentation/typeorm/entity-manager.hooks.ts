import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type DataSource,
  type EntityManager,
  type EntityMetadata,
  type EntityTarget,
  type FindOptionsWhere,
  In,
  type ObjectLiteral,
} from 'typeorm';
import type { AuditDialect } from '../../store/audit-dialect';
import type { DataAction } from '../../store/audit-entry';
import { entityIdOf } from '../../trails/data/column-values';
import type { DataTrailRecorder } from '../../trails/data/data-trail.recorder';

const HOOKED = Symbol('nestjs-audit-trail:hooked');

// Set while an audited call runs its original: TypeORM's increment() calls this.update(), which must
// not record a second time. Async-local, so concurrent calls on one manager do not see each other.
const insideAuditedCall = new AsyncLocalStorage<true>();

/** True while a hook runs TypeORM's own method; the hook records those rows itself. */
export function isInsideAuditedCall(): boolean {
  return insideAuditedCall.getStore() === true;
}

type Criteria = unknown;
type BulkMethod = 'update' | 'increment' | 'decrement' | 'delete' | 'softDelete' | 'restore';

const ACTION: Record<BulkMethod, DataAction> = {
  update: 'update',
  increment: 'update',
  decrement: 'update',
  delete: 'delete',
  softDelete: 'soft_delete',
  restore: 'restore',
};

function isPrimitiveCriteria(criteria: Criteria): boolean {
  const isPrimitive = (value: unknown) =>
    typeof value === 'string' || typeof value === 'number' || value instanceof Date;
  return isPrimitive(criteria) || (Array.isArray(criteria) && criteria.length > 0 && criteria.every(isPrimitive));
}

/** TypeORM's criteria forms (an id, ids, or a where object) as a `find` condition. */
function whereOf(
  metadata: EntityMetadata,
  criteria: Criteria,
): FindOptionsWhere<ObjectLiteral> | FindOptionsWhere<ObjectLiteral>[] {
  if (isPrimitiveCriteria(criteria) && metadata.primaryColumns.length === 1) {
    const key = metadata.primaryColumns[0].propertyName;
    return { [key]: Array.isArray(criteria) ? In(criteria) : criteria };
  }
  return criteria as FindOptionsWhere<ObjectLiteral>;
}

/**
 * The query-builder paths of EntityManager (`update`, `increment`, `decrement`, `delete`, `softDelete`,
 * `restore`, `insert`)
 * broadcast events without their criteria, so a subscriber cannot tell which rows they touched.
 * These hooks wrap those methods on every EntityManager of the audited DataSource: they read the
 * matching rows (locked where the database allows) in the caller's transaction, or in one they open,
 * run the original method, read the rows again and record one row per entity, so the audit rows
 * commit or roll back with the change.
 */
export function hookEntityManagers(
  dataSource: DataSource,
  recorder: DataTrailRecorder,
  dialect: AuditDialect,
): () => void {
  const hook = (manager: EntityManager): EntityManager => {
    const marked = manager as EntityManager & { [HOOKED]?: true };
    if (marked[HOOKED]) return manager;
    marked[HOOKED] = true;
    for (const method of Object.keys(ACTION) as BulkMethod[]) {
      const original = manager[method] as (...args: unknown[]) => Promise<unknown>;
      (manager as any)[method] = function auditedBulkWrite(
        this: EntityManager,
        target: EntityTarget<ObjectLiteral>,
        criteria: Criteria,
        ...rest: unknown[]
      ) {
        const metadata = dataSource.hasMetadata(target) ? dataSource.getMetadata(target) : undefined;
        if (!metadata || !recorder.audits(metadata) || insideAuditedCall.getStore()) {
          return original.call(manager, target, criteria, ...rest);
        }
        return inTransaction(manager, async (transactional) => {
          const before = await readRows(transactional, metadata, whereOf(metadata, criteria), dialect.rowLock);
          const result = await insideAuditedCall.run(true, () =>
            (original as any).call(transactional, target, criteria, ...rest),
          );
          const after = method === 'delete' ? [] : await readByIds(transactional, metadata, before);
          const afterById = new Map(after.map((row) => [entityIdOf(metadata, row), row]));
          for (const row of before) {
            const next = method === 'delete' ? undefined : afterById.get(entityIdOf(metadata, row));
            await recorder.record(
              transactional.queryRunner,
              recorder.entryFor({ metadata, action: ACTION[method], before: row, after: next }),
            );
          }
          return result;
        });
      };
    }
    const originalInsert = manager.insert as (...args: unknown[]) => Promise<unknown>;
    (manager as any).insert = function auditedInsert(
      this: EntityManager,
      target: EntityTarget<ObjectLiteral>,
      ...rest: unknown[]
    ) {
      const metadata = dataSource.hasMetadata(target) ? dataSource.getMetadata(target) : undefined;
      if (!metadata || !recorder.audits(metadata)) return originalInsert.call(manager, target, ...rest);
      // The subscriber records each inserted row; a transaction keeps them atomic and grouped.
      return inTransaction(manager, (transactional) => (originalInsert as any).call(transactional, target, ...rest));
    };
    const originalUpsert = manager.upsert as (...args: unknown[]) => Promise<unknown>;
    (manager as any).upsert = function auditedUpsert(
      this: EntityManager,
      target: EntityTarget<ObjectLiteral>,
      entityOrEntities: ObjectLiteral | ObjectLiteral[],
      conflict: string[] | { conflictPaths: string[] | Record<string, true> },
    ) {
      const metadata = dataSource.hasMetadata(target) ? dataSource.getMetadata(target) : undefined;
      const entities = Array.isArray(entityOrEntities) ? entityOrEntities : [entityOrEntities];
      if (!metadata || !recorder.audits(metadata) || insideAuditedCall.getStore() || entities.length === 0) {
        return originalUpsert.call(manager, target, entityOrEntities, conflict);
      }
      // An upsert is an INSERT to TypeORM's listeners even when it updated a row; the rows that
      // existed before are told apart here, and recorded as updates.
      const paths = Array.isArray(conflict) ? conflict : Object.keys(conflict.conflictPaths);
      const where = entities.map((entity) => Object.fromEntries(paths.map((path) => [path, entity[path]])));
      return inTransaction(manager, async (transactional) => {
        const before = await readRows(transactional, metadata, where, dialect.rowLock);
        const result = await insideAuditedCall.run(true, () =>
          (originalUpsert as any).call(transactional, target, entityOrEntities, conflict),
        );
        const beforeById = new Map(before.map((row) => [entityIdOf(metadata, row), row]));
        for (const row of await readRows(transactional, metadata, where, false)) {
          const previous = beforeById.get(entityIdOf(metadata, row));
          const change = previous
            ? { metadata, action: 'update' as const, before: previous, after: row }
            : { metadata, action: 'create' as const, after: row };
          await recorder.record(transactional.queryRunner, recorder.entryFor(change));
        }
        return result;
      });
    };
    return manager;
  };

  hook(dataSource.manager);
  const ownCreateEntityManager = Object.prototype.hasOwnProperty.call(dataSource, 'createEntityManager');
  const originalCreateEntityManager = dataSource.createEntityManager;
  const createEntityManager = originalCreateEntityManager.bind(dataSource);
  dataSource.createEntityManager = (queryRunner) => hook(createEntityManager(queryRunner));
  return () => {
    if (ownCreateEntityManager) dataSource.createEntityManager = originalCreateEntityManager;
    else delete (dataSource as Partial<DataSource>).createEntityManager;
    // Managers of query runners are short-lived; the DataSource's own manager lives on, so it is unpatched.
    const manager = dataSource.manager as EntityManager & { [HOOKED]?: true };
    for (const method of [...Object.keys(ACTION), 'insert', 'upsert']) delete (manager as any)[method];
    delete manager[HOOKED];
  };
}

function inTransaction<T>(manager: EntityManager, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  return manager.queryRunner?.isTransactionActive ? work(manager) : manager.transaction(work);
}

// An OR of this many id conditions per post-image read keeps each statement small on a large bulk call.
const IDS_PER_READ = 500;

/** The rows again, by id, after the write: chunked so a bulk call over many rows stays many small reads. */
async function readByIds(
  manager: EntityManager,
  metadata: EntityMetadata,
  rows: ObjectLiteral[],
): Promise<ObjectLiteral[]> {
  const found: ObjectLiteral[] = [];
  for (let start = 0; start < rows.length; start += IDS_PER_READ) {
    const ids = rows
      .slice(start, start + IDS_PER_READ)
      .map((row) => metadata.getEntityIdMap(row) as FindOptionsWhere<ObjectLiteral>);
    found.push(...(await readRows(manager, metadata, ids, false)));
  }
  return found;
}

/** The matching rows as entities (soft-deleted included, relations as ids), locked where the database can. */
function readRows(
  manager: EntityManager,
  metadata: EntityMetadata,
  where: FindOptionsWhere<ObjectLiteral> | FindOptionsWhere<ObjectLiteral>[],
  lock: boolean,
): Promise<ObjectLiteral[]> {
  return manager.find(metadata.target, {
    where,
    withDeleted: true,
    loadEagerRelations: false,
    loadRelationIds: true,
    ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
  });
}
