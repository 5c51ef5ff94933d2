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
import type { AuditDialect } from '../store/audit-dialect';
import type { DataAction } from '../store/audit-entry';
import { entityIdOf } from './column-values';
import type { DataTrailRecorder } from './data-trail.recorder';

const HOOKED = Symbol('nestjs-audit-trail:hooked');

// Set while an audited call runs its original: TypeORM's increment() calls this.update(), which must
// not record a second time. Async-local, so concurrent calls on one manager do not see each other.
const insideAuditedCall = new AsyncLocalStorage<true>();

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
export function hookEntityManagers(dataSource: DataSource, recorder: DataTrailRecorder, dialect: AuditDialect): void {
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
          const where = whereOf(metadata, criteria);
          const read = () =>
            transactional.find(metadata.target, {
              where,
              withDeleted: true,
              loadEagerRelations: false,
              loadRelationIds: true,
              ...(dialect.rowLock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
            });
          const before = await read();
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
    return manager;
  };

  hook(dataSource.manager);
  const createEntityManager = dataSource.createEntityManager.bind(dataSource);
  dataSource.createEntityManager = (queryRunner) => hook(createEntityManager(queryRunner));
}

function inTransaction<T>(manager: EntityManager, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  return manager.queryRunner?.isTransactionActive ? work(manager) : manager.transaction(work);
}

function readByIds(manager: EntityManager, metadata: EntityMetadata, rows: ObjectLiteral[]): Promise<ObjectLiteral[]> {
  if (rows.length === 0) return Promise.resolve([]);
  return manager.find(metadata.target, {
    where: rows.map((row) => metadata.getEntityIdMap(row) as FindOptionsWhere<ObjectLiteral>),
    withDeleted: true,
    loadEagerRelations: false,
    loadRelationIds: true,
  });
}
