import type { EntitySubscriberInterface, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import type { DataTrailRecorder } from '../../trails/data/data-trail.recorder';
import { dropDeferredInserts, releaseDeferredInserts, resolveDeferredInserts } from './statement-capture';

/**
 * Follows the audited DataSource's transactions: the rows a transaction recorded go in just before its
 * COMMIT (or move to the enclosing transaction on RELEASE SAVEPOINT), and are dropped on ROLLBACK. The
 * rows themselves come from statement capture (statement-capture.ts), not from entity events, because
 * entity events carry the entity object as the caller left it, not the row as the database holds it.
 */
export class DataTrailSubscriber implements EntitySubscriberInterface {
  constructor(private readonly recorder: DataTrailRecorder) {}

  async beforeTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    const queryRunner = event.queryRunner;
    const depth = (queryRunner as unknown as { transactionDepth?: number }).transactionDepth ?? 1;
    if (depth > 1) releaseDeferredInserts(queryRunner);
    else await resolveDeferredInserts(queryRunner);
    await this.recorder.beforeCommit(queryRunner);
  }

  beforeTransactionRollback(event: TransactionRollbackEvent): void {
    dropDeferredInserts(event.queryRunner);
    this.recorder.beforeRollback(event.queryRunner);
  }
}
