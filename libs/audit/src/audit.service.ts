import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { diffValues, withoutFields } from './data/data-diff';
import type { DataTrailRecorder } from './data/data-trail.recorder';
import { AUDIT_DATA_TRAIL, AUDIT_OPTIONS, AUDIT_STORAGE } from './module/audit.constants';
import type { ResolvedAuditOptions } from './module/audit-options';
import type { DataEntry, DataLog, DataLogFilter } from './store/audit-entry';
import type { AuditStorage } from './store/audit-storage';
import { AuditContext } from './transaction/audit-context';
import { newTransactionId } from './transaction/transaction-id';

/** The audit trail's public API: record by hand, query, and run work under a transaction ID. */
@Injectable()
export class AuditService {
  constructor(
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    @Inject(AUDIT_STORAGE) private readonly storage: AuditStorage,
    @Inject(AUDIT_DATA_TRAIL) private readonly dataTrail: DataTrailRecorder,
    private readonly context: AuditContext,
  ) {}

  /**
   * Records a change made outside the ORM (raw SQL, another service), with the same diff, exclusion,
   * user and transaction-ID rules as the subscriber. Pass the `manager` of an open transaction to
   * make the row commit or roll back with it. Returns false when there was nothing to record.
   */
  async recordDataChange(entry: DataEntry, manager?: EntityManager): Promise<boolean> {
    this.requireTrail('dataAudit');
    const excludedEntities = this.options.dataAudit.excludeEntities;
    if (excludedEntities.has(entry.entityType)) return false;
    const excluded = this.options.dataAudit.excludeFields;
    let oldValues = withoutFields(entry.oldValues, excluded);
    let newValues = withoutFields(entry.newValues, excluded);
    if (entry.action === 'update') {
      ({ oldValues, newValues } = diffValues(oldValues, newValues));
      if (!oldValues && !newValues) return false;
    }
    if (this.options.dataAudit.skipOldValues && entry.action === 'update') oldValues = null;
    const stamped = this.dataTrail.stamp({ ...entry, oldValues, newValues });
    const queryRunner = manager?.queryRunner;
    if (queryRunner?.isTransactionActive) {
      await this.dataTrail.record(queryRunner, stamped);
    } else {
      await this.dataTrail.write(this.storage.dataSource, [stamped], false);
    }
    return true;
  }

  /** Data-trail rows matching the filter, newest first. */
  query(filter: DataLogFilter = {}): Promise<DataLog[]> {
    this.requireTrail('dataAudit');
    return this.storage.dataLogs.find(this.storage.dataSource, filter);
  }

  /** The transaction ID in scope, or undefined outside any scope. */
  getTransactionId(): string | undefined {
    return this.context.transactionId();
  }

  /**
   * Runs `fn` in a transaction-ID scope (a fresh ID when none is given), for cron jobs, queue
   * consumers and scripts: every row written inside carries it.
   */
  withTransactionId<T>(transactionId: string | undefined, fn: () => T): T {
    return this.context.run(transactionId || newTransactionId(), fn);
  }

  private requireTrail(trail: 'dataAudit' | 'apiAudit'): void {
    if (!this.options[trail].enabled) {
      throw new Error(
        `nestjs-audit-trail: the ${trail === 'dataAudit' ? 'data' : 'API'} trail is not enabled (${trail}.enabled)`,
      );
    }
  }
}
