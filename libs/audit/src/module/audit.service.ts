import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { DataTrailRecorder } from '../trails/data/data-trail.recorder';
import type { ApiTrailRecorder } from '../trails/api/api-trail.recorder';
import { AUDIT_API_TRAIL, AUDIT_DATA_TRAIL, AUDIT_OPTIONS, AUDIT_STORAGE } from '../options/audit.tokens';
import type { ResolvedAuditOptions } from '../options/audit-options';
import type { ApiEntry, ApiLog, ApiLogFilter, DataEntry, DataLog, DataLogFilter } from '../store/audit-entry';
import type { AuditStorage } from '../store/audit-storage';
import { AuditContext } from '../transaction/audit-context';
import {
  EntityHistory,
  type EntitySnapshot,
  type RestoreOptions,
  type RestoreResult,
} from '../queries/history/entity-history';
import { type TransactionTrail, mergeTimeline } from '../queries/transaction-trail';
import { type PurgeOptions, type PurgeResult, purgeAuditTrails } from '../queries/purge/audit-purge';
import { acceptTransactionId, isSafeTransactionId } from '../transaction/transaction-id';
import { checkApiLogFilter, checkDataLogFilter, checkPurgeOptions } from '../queries/query-filters';

/** The audit trail's public API: record by hand, query, and run work under a transaction ID. */
@Injectable()
export class AuditService {
  constructor(
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    @Inject(AUDIT_STORAGE) private readonly storage: AuditStorage,
    @Inject(AUDIT_DATA_TRAIL) private readonly dataTrail: DataTrailRecorder,
    private readonly context: AuditContext,
    @Inject(AUDIT_API_TRAIL) private readonly apiTrail: ApiTrailRecorder,
  ) {}

  /**
   * Records a change made outside the ORM (raw SQL, another service), with the same diff, exclusion,
   * user and transaction-ID rules as the subscriber. Pass the `manager` of an open transaction to
   * make the row commit or roll back with it. Returns false when there was nothing to record.
   */
  async recordDataChange(entry: DataEntry, manager?: EntityManager): Promise<boolean> {
    this.requireTrail('dataAudit');
    return this.dataTrail.recordEntry(entry, manager);
  }

  /** Data-trail rows matching the filter, newest first; page by limit/offset or by `beforeId` (see `nextCursor`). */
  async query(filter: DataLogFilter = {}): Promise<DataLog[]> {
    this.requireTrail('dataAudit');
    return this.storage.dataLogs.find(this.storage.dataSource, checkDataLogFilter(filter));
  }

  /**
   * Records an outbound call made outside HttpService and fetch (another client, a queued job), with
   * the same rules as the automatic rows: headers and bodies redacted, bodies truncated, user,
   * request metadata and transaction ID taken from the current scope unless the entry sets them.
   * Unlike the automatic rows it is written at once, not queued: it resolves once the row is stored,
   * and a failed write follows `apiAudit.onError` (fail-loud rejects, fail-silent logs).
   */
  async recordApiCall(entry: ApiEntry): Promise<void> {
    this.requireTrail('apiAudit');
    const transactionId = (entry as Partial<ApiEntry> | null)?.transactionId;
    // The one rule for an ID from outside, as for recordDataChange and the request header.
    if (transactionId !== undefined && transactionId !== '' && !isSafeTransactionId(transactionId)) {
      throw new Error(
        'nestjs-audit-trail: recordApiCall: transactionId must be 1 to 100 characters from A-Z a-z 0-9 _ . : -',
      );
    }
    await this.apiTrail.record(entry);
  }

  /** API-trail rows matching the filter, newest first, camelCase, JSON columns parsed. */
  async queryApiCalls(filter: ApiLogFilter = {}): Promise<ApiLog[]> {
    this.requireTrail('apiAudit');
    return this.storage.apiLogs.find(this.storage.dataSource, checkApiLogFilter(filter));
  }

  /**
   * Waits until the rows of every outbound call that has ended are written (the hooks write them in
   * the background, off the caller's path). For tests and scripts that query right after calling;
   * an application does not need it, since close drains the queue itself. Under
   * `apiAudit.onError: 'fail-loud'` it rejects when rows could not be written.
   */
  async flushApiCalls(): Promise<void> {
    this.requireTrail('apiAudit');
    await this.apiTrail.flush();
  }

  /** The transaction ID in scope, or undefined outside any scope. */
  getTransactionId(): string | undefined {
    return this.context.transactionId();
  }

  /**
   * Runs `fn` in a transaction-ID scope (a fresh ID when none is given), for cron jobs, queue
   * consumers and scripts: every row written inside carries it. An ID taken from a message is as
   * untrusted as a header: one that is not a safe token (at most 100 of `A-Za-z0-9_.:-`) is replaced
   * by a fresh ID rather than stored.
   */
  withTransactionId<T>(transactionId: string | undefined, fn: () => T): T {
    return this.context.run(acceptTransactionId(transactionId), fn);
  }

  /**
   * Both trails of one transaction (docs/behaviour.md, "Queries"), each in the order it happened
   * (created_at, then id), and merged into one `timeline`. A trail that is not enabled is not queried:
   * its list is empty.
   */
  async queryByTransaction(transactionId: string): Promise<TransactionTrail> {
    if (typeof transactionId !== 'string' || transactionId.trim() === '') {
      throw new Error(
        'nestjs-audit-trail: queryByTransaction needs a transaction ID; an empty one would mean every row written outside a scope',
      );
    }
    const executor = this.storage.dataSource;
    const [dataLogs, apiLogs] = await Promise.all([
      this.options.dataAudit.enabled ? this.storage.dataLogs.findInOrder(executor, { transactionId }) : [],
      this.options.apiAudit.enabled ? this.storage.apiLogs.findInOrder(executor, transactionId) : [],
    ]);
    return { transactionId, dataLogs, apiLogs, timeline: mergeTimeline(dataLogs, apiLogs) };
  }

  /**
   * The entity's fields (by column name) at `at`, rebuilt from its data-trail rows; `{ exists: false,
   * values: null }` if it did not exist, was deleted or was soft-deleted then.
   */
  async snapshot(entityType: string, entityId: string | number, at: Date): Promise<EntitySnapshot> {
    this.requireTrail('dataAudit');
    return this.history().snapshot(entityType, String(entityId), at);
  }

  /**
   * Writes a `restore` row (old: the current state, new: the state at `at`, NULL if there was no row
   * then) and returns the target for the caller to apply; the entity's table is not touched. Applying
   * the values with a repository adds the subscriber's own `update` row on top of the `restore` row;
   * `applyRestore` writes them without it.
   */
  async restore(
    entityType: string,
    entityId: string | number,
    at: Date,
    options?: RestoreOptions,
  ): Promise<RestoreResult> {
    this.requireTrail('dataAudit');
    return this.history().restore(entityType, String(entityId), at, options);
  }

  /**
   * `restore` and the write that brings the table back to that state (insert, update or delete, trail
   * column names mapped back to properties) in one database transaction: `manager`'s if it has one
   * open, else a new one. The trail gets exactly one row for it: the `restore` row.
   */
  async applyRestore<T extends ObjectLiteral>(
    manager: EntityManager,
    target: EntityTarget<T>,
    entityId: string | number,
    at: Date,
  ): Promise<RestoreResult> {
    this.requireTrail('dataAudit');
    return this.history().applyRestore(manager, target, String(entityId), at);
  }

  /**
   * Deletes rows stamped strictly before `before` from each enabled trail, in batches of
   * `batchSize` rows, each its own short statement; `dryRun` only counts. The retention job calls this.
   */
  async purge(before: Date, options?: PurgeOptions): Promise<PurgeResult> {
    return purgeAuditTrails(this.storage, before, checkPurgeOptions(options));
  }

  private history(): EntityHistory {
    return new EntityHistory(this.storage, this.dataTrail);
  }

  private requireTrail(trail: 'dataAudit' | 'apiAudit'): void {
    if (!this.options[trail].enabled) {
      throw new Error(
        `nestjs-audit-trail: the ${trail === 'dataAudit' ? 'data' : 'API'} trail is not enabled (${trail}.enabled)`,
      );
    }
  }
}
