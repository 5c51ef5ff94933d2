import type {
  EntitySubscriberInterface,
  InsertEvent,
  RecoverEvent,
  RemoveEvent,
  SoftRemoveEvent,
  TransactionCommitEvent,
  TransactionRollbackEvent,
  UpdateEvent,
} from 'typeorm';
import type { DataTrailRecorder } from '../../trails/data/data-trail.recorder';
import { isInsideAuditedCall } from './entity-manager.hooks';

/**
 * Listens to every entity of the audited DataSource. Events from the persistence layer (`save`,
 * `remove`, `softRemove`, `recover`) carry the entity and TypeORM's own copy of the database row, so
 * the pre-image costs no extra read. Query-builder events (`update`, `delete`, `softDelete`,
 * `restore`) carry no criteria; those calls are recorded by the EntityManager hooks instead, and are
 * ignored here.
 */
export class DataTrailSubscriber implements EntitySubscriberInterface {
  constructor(private readonly recorder: DataTrailRecorder) {}

  async afterInsert(event: InsertEvent<any>): Promise<void> {
    if (isInsideAuditedCall()) return;
    await this.recorder.record(
      event.queryRunner,
      this.recorder.entryFor({ metadata: event.metadata, action: 'create', after: event.entity }),
    );
  }

  async afterUpdate(event: UpdateEvent<any>): Promise<void> {
    if (!event.databaseEntity || !event.entity) return;
    await this.recorder.record(
      event.queryRunner,
      this.recorder.entryFor({
        metadata: event.metadata,
        action: 'update',
        before: event.databaseEntity,
        after: event.entity,
      }),
    );
  }

  async afterRemove(event: RemoveEvent<any>): Promise<void> {
    if (!event.entity && !event.databaseEntity) return;
    // TypeORM clears the primary key on the removed entity; the database copy still has it.
    const before = { ...event.entity, ...event.databaseEntity };
    await this.recorder.record(
      event.queryRunner,
      this.recorder.entryFor({ metadata: event.metadata, action: 'delete', before }),
    );
  }

  async afterSoftRemove(event: SoftRemoveEvent<any>): Promise<void> {
    if (!event.entity) return;
    await this.recorder.record(
      event.queryRunner,
      this.recorder.entryFor({
        metadata: event.metadata,
        action: 'soft_delete',
        before: event.databaseEntity,
        after: event.entity,
      }),
    );
  }

  async afterRecover(event: RecoverEvent<any>): Promise<void> {
    if (!event.entity) return;
    await this.recorder.record(
      event.queryRunner,
      this.recorder.entryFor({
        metadata: event.metadata,
        action: 'restore',
        before: event.databaseEntity,
        after: event.entity,
      }),
    );
  }

  async beforeTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    await this.recorder.beforeCommit(event.queryRunner);
  }

  beforeTransactionRollback(event: TransactionRollbackEvent): void {
    this.recorder.beforeRollback(event.queryRunner);
  }
}
