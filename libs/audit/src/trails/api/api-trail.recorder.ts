import { Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import type { ResolvedApiAuditOptions } from '../../options/audit-options';
import { AuditOptionsError } from '../../options/audit-options.validation';
import type { ApiLogStore, StampedApiEntry } from '../../store/api-log.store';
import type { ApiEntry } from '../../store/audit-entry';
import type { AuditContext } from '../../transaction/audit-context';
import { type StreamBody, prepareBody } from './api-body';
import { callErrorMessage } from './call-error';
import { CallTargetPatternError, ServiceNames, SkipRules, endpointOf } from './call-target';
import { redactHeaders } from './redaction';

/**
 * How many rows may wait for the writer. Past it, a NEW outbound call waits (before it is sent)
 * until the writer has made room, rather than a row being dropped: the trail must not lose calls,
 * and memory must stay bounded when the audit database is slow or down. Rows of calls already in
 * flight are always accepted, so the queue exceeds the bound by at most the calls in flight.
 */
export const MAX_QUEUED_ROWS = 5000;
/** Rows per background INSERT (one multi-row statement). */
const BATCH_SIZE = 200;
/**
 * How long shutdown waits for calls still in flight (and flush() for response bodies still being
 * read) before recording them with what is known: a row is never traded for a hung close.
 */
export const SETTLE_GRACE_MS = 10_000;
const RETRY_DELAYS_MS = [100, 250, 500, 1000, 2000, 5000];

/** Raised when API-trail rows could not be written under `apiAudit.onError: 'fail-loud'`. */
export class ApiTrailWriteError extends Error {
  constructor(message: string, cause: unknown) {
    super(`nestjs-audit-trail: ${message} (${callErrorMessage(cause)})`, { cause });
    this.name = 'ApiTrailWriteError';
  }
}

/** What a call's scope knew when the call started: rows are stamped at call time, not write time. */
interface CallScope {
  transactionId: string;
  userId: string;
  metadata: Record<string, unknown> | null;
}

/** A call as a hook observed it: raw headers and bodies, before redaction and truncation. */
export interface ObservedCall {
  /** 0 when no response came. */
  statusCode: number;
  requestHeaders?: unknown;
  requestBody?: unknown;
  requestContentType?: string | null;
  responseBody?: unknown;
  responseContentType?: string | null;
  /** Redacted with the request-header rules into `response_headers`; absent when no response came. */
  responseHeaders?: unknown;
  /** A response body already in its stored form (the fetch hook builds markers itself). */
  storedResponseBody?: unknown;
  errorMessage?: string | null;
}

export interface CallStart {
  url: URL | undefined;
  /** The URL as the caller wrote it, for the endpoint when it does not parse. */
  rawUrl: string;
  method: string;
  /** Per-call service name (axios `auditService`, `X-Audit-Service` header). */
  service?: unknown;
}

/**
 * One outbound call between its start and its row. The hook that opened it must end it with
 * `finish` (or `fail`); a call still open at shutdown is finished with what is known by then.
 */
export class OpenCall {
  readonly startedAt = new Date();
  private readonly started = performance.now();
  private ended?: number;
  private observed: ObservedCall = { statusCode: 0 };
  private cancelCapture?: () => void;
  private finished = false;
  private resolveSettled!: () => void;
  readonly settled = new Promise<void>((resolve) => (this.resolveSettled = resolve));

  constructor(
    private readonly recorder: ApiTrailRecorder,
    readonly service: string,
    readonly endpoint: string,
    readonly method: string,
    private readonly scope: CallScope,
  ) {}

  /** The transaction ID to send downstream, or '' outside any scope. */
  get transactionId(): string {
    return this.scope.transactionId;
  }

  /** Whether the response head has arrived (the body may still be read). */
  get responded(): boolean {
    return this.ended !== undefined;
  }

  /**
   * The response head arrived: the duration stops here (what the caller waited for), while the
   * body is read in the background; `cancel` stops that read if shutdown cannot wait for it.
   */
  respond(observed: ObservedCall, cancel?: () => void): void {
    this.ended ??= performance.now();
    this.observed = { ...this.observed, ...observed };
    this.cancelCapture = cancel;
  }

  /** Writes the row (once): whatever `respond` saw, completed by `observed`. */
  finish(observed?: Partial<ObservedCall>): void {
    if (this.finished) return;
    this.finished = true;
    this.ended ??= performance.now();
    const call = { ...this.observed, ...observed };
    try {
      this.recorder.enqueue(this.toRow(call));
    } finally {
      this.recorder.closed(this);
      this.resolveSettled();
    }
  }

  /** The call failed before any response (statusCode stays 0) or with one (an error status). */
  fail(error: unknown, observed?: Partial<ObservedCall>): void {
    this.finish({ ...observed, errorMessage: callErrorMessage(error) });
  }

  /** Shutdown cannot wait any longer: record what is known now. */
  abandon(): void {
    if (this.finished) return;
    if (!this.responded) {
      this.finish({ statusCode: 0, errorMessage: 'no response before the application shut down' });
      return;
    }
    this.cancelCapture?.();
    const body: StreamBody = { _stream: true, content_type: this.observed.responseContentType ?? null };
    this.finish({
      storedResponseBody: body,
      errorMessage: this.observed.errorMessage ?? 'response body still being read when the application shut down',
    });
  }

  private toRow(call: ObservedCall): StampedApiEntry {
    return this.recorder.stampObserved(call, {
      service: this.service,
      endpoint: this.endpoint,
      method: this.method,
      durationMs: (this.ended ?? performance.now()) - this.started,
      createdAt: this.startedAt,
      scope: this.scope,
    });
  }
}

/**
 * The API trail (docs/behaviour.md, "API trail"): stamps each call with the user, request metadata and
 * transaction ID of its scope at CALL time, redacts and truncates its headers and bodies, and writes
 * rows off the caller's critical path: the hooks queue rows, a background writer inserts them in
 * multi-row batches, and shutdown drains the queue before the DataSource closes.
 *
 * `apiAudit.onError` for these background writes, where the caller has long gone:
 * - `fail-silent`: a failed batch is logged at error level (Nest Logger, context `AuditTrail`)
 *   and dropped; the application goes on.
 * - `fail-loud`: no row is given up while the database may come back. When the database does not
 *   answer, or refuses every row (a missing table, a revoked grant), the batch goes back to the
 *   head of the queue and is retried with backoff (and, once the queue is full, new outbound calls
 *   wait for room: the application slows down rather than losing its trail). The error is logged
 *   at error level, `flush()` (`AuditService.flushApiCalls`) rejects with an ApiTrailWriteError,
 *   and the shutdown drain throws it, which Nest 12 logs at error level while it goes on closing
 *   (its shutdown hooks do not make `app.close()` reject): a script that must know calls
 *   flushApiCalls() before close. A row the database refuses while it accepts the others (a poison
 *   row) can never be written: it is dropped with an error log naming its call and transaction,
 *   and reported by the next flush() or shutdown drain.
 *
 * Rows recorded by hand (`record`) are written at once, and a failure follows onError as for the
 * data trail: fail-loud rejects to the caller, fail-silent logs.
 */
export class ApiTrailRecorder {
  private readonly logger = new Logger('AuditTrail');
  private readonly serviceNames: ServiceNames;
  private readonly skipRules: SkipRules;
  private readonly open = new Set<OpenCall>();
  private queue: StampedApiEntry[] = [];
  private writingRows = 0;
  private roomWaiters: Array<() => void> = [];
  private lastPass: Promise<unknown> = Promise.resolve();
  private scheduled = false;
  private retryTimer?: NodeJS.Timeout;
  private retries = 0;
  /** A fail-loud error that cost rows and that no flush() or drain has reported yet. */
  private unreported?: ApiTrailWriteError;
  private shutDown = false;

  constructor(
    private readonly store: ApiLogStore,
    private readonly dataSource: DataSource,
    private readonly options: ResolvedApiAuditOptions,
    private readonly context: AuditContext,
  ) {
    this.serviceNames = patterns('apiAudit.services', options.services, () => new ServiceNames(options.services));
    this.skipRules = patterns(
      'apiAudit.skipHosts',
      options.skipHosts,
      () => new SkipRules(options.skipHosts, options.skipPaths),
    );
  }

  /** Header that carries the transaction ID downstream, or false. */
  get propagateHeader(): string | false {
    return this.options.propagateHeader;
  }

  /** What a hook needs to store a body it read itself. */
  get bodyOptions(): { redactBodyFields: readonly string[]; maxBodySize: number } {
    return { redactBodyFields: this.options.redactBodyFields, maxBodySize: this.options.maxBodySize };
  }

  /** Rows waiting for the writer (queued or being inserted). */
  get pendingRows(): number {
    return this.queue.length + this.writingRows;
  }

  /**
   * Resolves once the queue has room for a new call's row; undefined when it has room now, so the
   * hooks add no asynchronous step in the common case.
   */
  room(): Promise<void> | undefined {
    if (this.shutDown || this.pendingRows < MAX_QUEUED_ROWS) return undefined;
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Opens a call, capturing its scope now. Undefined when `skipHosts` / `skipPaths` exclude it, or
   * when its URL is not absolute: the client then fails before sending anything (axios and fetch
   * throw on it in Node), so there is no outbound call to record, and such an error may come back
   * without the config that would let the hook find the call again.
   */
  begin(start: CallStart): OpenCall | undefined {
    if (!start.url || this.skipRules.skips(start.url)) return undefined;
    const call = new OpenCall(
      this,
      this.serviceNames.nameFor(start.url, start.service),
      endpointOf(start.url, start.rawUrl),
      (start.method || 'GET').toUpperCase(),
      this.scope(),
    );
    this.open.add(call);
    return call;
  }

  /** Stamps and writes a row now (AuditService.recordApiCall), following onError. */
  async record(entry: ApiEntry): Promise<void> {
    const row = this.stampEntry(entry);
    if (this.options.onError === 'fail-loud') {
      await this.store.insert(this.dataSource, [row]);
      return;
    }
    try {
      await this.store.insert(this.dataSource, [row]);
    } catch (error) {
      this.logger.error(
        `API trail: row of ${row.method} ${row.service} ${row.endpoint} not written (${callErrorMessage(error)}); caller goes on (onError: fail-silent)`,
      );
    }
  }

  /** What `record` would write for this entry: redacted, truncated, stamped from the current scope. */
  stampEntry(entry: ApiEntry): StampedApiEntry {
    const requestHeaders = entry.requestHeaders ?? null;
    return this.stampObserved(
      {
        statusCode: entry.statusCode,
        requestHeaders,
        requestBody: entry.requestBody,
        requestContentType: contentTypeOf(requestHeaders),
        responseBody: entry.responseBody,
        responseHeaders: entry.responseHeaders ?? undefined,
        errorMessage: entry.errorMessage ?? null,
      },
      {
        service: entry.service,
        endpoint: entry.endpoint,
        method: entry.method,
        durationMs: entry.durationMs,
        createdAt: entry.createdAt ?? new Date(),
        scope: this.scope(),
        userId: entry.userId,
        metadata: entry.metadata,
        transactionId: entry.transactionId,
      },
    );
  }

  /** @internal Builds the stored row of an observed call. */
  stampObserved(
    call: ObservedCall,
    row: {
      service: string;
      endpoint: string;
      method: string;
      durationMs: number;
      createdAt: Date;
      scope: CallScope;
      userId?: string;
      metadata?: Record<string, unknown> | null;
      transactionId?: string;
    },
  ): StampedApiEntry {
    const { redactHeaders: headerNames, redactBodyFields, maxBodySize } = this.options;
    const headers = redactHeaders(call.requestHeaders, headerNames);
    const responseHeaders = call.responseHeaders === undefined ? {} : redactHeaders(call.responseHeaders, headerNames);
    const scopeMetadata = row.scope.metadata;
    return {
      service: row.service,
      endpoint: row.endpoint,
      method: row.method,
      statusCode: call.statusCode,
      requestHeaders: Object.keys(headers).length > 0 ? headers : null,
      responseHeaders: Object.keys(responseHeaders).length > 0 ? responseHeaders : null,
      requestBody: prepareBody(call.requestBody, call.requestContentType, redactBodyFields, maxBodySize),
      responseBody:
        call.storedResponseBody !== undefined
          ? call.storedResponseBody
          : prepareBody(call.responseBody, call.responseContentType, redactBodyFields, maxBodySize),
      durationMs: row.durationMs,
      errorMessage: call.errorMessage || null,
      userId: row.userId || row.scope.userId,
      metadata: scopeMetadata || row.metadata ? { ...scopeMetadata, ...row.metadata } : null,
      transactionId: row.transactionId || row.scope.transactionId,
      createdAt: row.createdAt,
    };
  }

  /** @internal Queues a finished call's row for the background writer. */
  enqueue(row: StampedApiEntry): void {
    this.queue.push(row);
    this.scheduleWrite();
  }

  /** @internal */
  closed(call: OpenCall): void {
    this.open.delete(call);
  }

  /**
   * Writes every queued row now, after waiting (up to {@link SETTLE_GRACE_MS}) for response bodies
   * still being read. Calls still waiting for their response are not waited for. Under fail-loud it
   * rejects with an ApiTrailWriteError when rows could not be written (or were lost since the last
   * flush); under fail-silent it resolves, failures having been logged.
   */
  async flush(): Promise<void> {
    await this.settle(
      [...this.open].filter((call) => call.responded),
      false,
    );
    this.clearRetry();
    const error = await this.writePass();
    this.report(error);
  }

  /**
   * Shutdown, part 1 (beforeApplicationShutdown, while the DataSource is still open): waits up to
   * {@link SETTLE_GRACE_MS} for calls in flight, records the ones still open with what is known,
   * and writes the queue. Under fail-loud, rows that could not be written raise an error here.
   */
  async drain(): Promise<void> {
    await this.settle([...this.open], true);
    this.clearRetry();
    const error = await this.writePass();
    if (error && this.pendingRows > 0) {
      this.logger.error(
        `API trail: ${this.pendingRows} row(s) could not be written before shutdown (${callErrorMessage(error)})`,
      );
    }
    this.report(error);
  }

  /**
   * Shutdown, part 2 (onApplicationShutdown, once the hooks are removed): rows of calls that ended
   * after the drain are written if the DataSource is still open, else reported as lost.
   */
  async close(): Promise<void> {
    this.shutDown = true;
    this.clearRetry();
    for (const call of [...this.open]) call.abandon();
    this.releaseRoom(true);
    if (this.queue.length === 0) return;
    if (this.dataSource.isInitialized) {
      this.report(await this.writePass());
      return;
    }
    this.logger.error(`API trail: ${this.queue.length} row(s) lost: the DataSource closed before they were written`);
    this.queue = [];
  }

  private scope(): CallScope {
    let userId: string;
    try {
      userId = this.context.user().id;
    } catch (error) {
      // A throwing userResolver must not cost the application its outbound call.
      this.logger.error(`API trail: userResolver threw (${callErrorMessage(error)}); row attributed to system`);
      userId = 'system';
    }
    return {
      transactionId: this.context.transactionId() ?? '',
      userId,
      metadata: this.context.requestMetadata(),
    };
  }

  private async settle(calls: OpenCall[], all: boolean): Promise<void> {
    if (calls.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SETTLE_GRACE_MS);
      timer.unref();
    });
    await Promise.race([Promise.all(calls.map((call) => call.settled)), grace]);
    clearTimeout(timer);
    for (const call of calls) if (all || call.responded) call.abandon();
  }

  private scheduleWrite(): void {
    if (this.scheduled || this.retryTimer) return;
    this.scheduled = true;
    // setImmediate rather than writing at once: the rows of every call that ends in this turn of
    // the event loop go into one INSERT.
    setImmediate(() => {
      this.scheduled = false;
      void this.writePass().then((error) => {
        if (error && this.queue.length > 0 && !this.shutDown) this.scheduleRetry();
      });
    });
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    const delay = RETRY_DELAYS_MS[Math.min(this.retries++, RETRY_DELAYS_MS.length - 1)];
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.scheduleWrite();
    }, delay);
    this.retryTimer.unref();
  }

  private clearRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** One pass over the queue, one at a time; resolves with the error that stopped it, if any. */
  private writePass(): Promise<ApiTrailWriteError | undefined> {
    const pass = this.lastPass.then(() => this.writeQueued());
    this.lastPass = pass.catch(() => undefined);
    return pass;
  }

  private async writeQueued(): Promise<ApiTrailWriteError | undefined> {
    let failure: ApiTrailWriteError | undefined;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH_SIZE);
      this.writingRows += batch.length;
      let outcome: BatchOutcome;
      try {
        outcome = await this.writeBatch(batch);
      } catch (error) {
        // Not a database answer but a fault of ours: keep the rows rather than lose them with it.
        this.logger.error(`API trail: ${batch.length} row(s) not written yet (${callErrorMessage(error)}); kept`);
        outcome = { retry: true, error: new ApiTrailWriteError(`${batch.length} API-trail row(s) not written`, error) };
      } finally {
        this.writingRows -= batch.length;
      }
      if (outcome.error) failure = outcome.error;
      if (outcome.retry) {
        this.queue.unshift(...batch);
        break;
      }
      this.releaseRoom(false);
    }
    if (!failure) this.retries = 0;
    return failure;
  }

  private async writeBatch(batch: StampedApiEntry[]): Promise<BatchOutcome> {
    try {
      await this.store.insert(this.dataSource, batch);
      return {};
    } catch (error) {
      if (this.options.onError === 'fail-silent') {
        this.logger.error(
          `API trail: ${batch.length} row(s) not written (${callErrorMessage(error)}); dropped (onError: fail-silent)`,
        );
        return {};
      }
      // Tell an unreachable database, or one that refuses every row (a missing table, a revoked
      // grant), from one that refuses some rows only: the first case keeps every row for later, the
      // second writes the others and drops the rows that can never be stored.
      const refused = (await this.databaseAnswers()) ? await this.refusedRows(batch, error) : undefined;
      // The database came back while the batch was being split: every row went in after all.
      if (refused?.length === 0) return {};
      if (!refused || refused.length === batch.length) {
        this.logger.error(
          `API trail: ${batch.length} row(s) not written yet (${callErrorMessage(error)}); kept and retried (onError: fail-loud)`,
        );
        return { retry: true, error: new ApiTrailWriteError(`${batch.length} API-trail row(s) not written`, error) };
      }
      for (const { row, error: rowError } of refused) {
        this.logger.error(
          `API trail: row of ${row.method} ${row.service} ${row.endpoint} (transaction ${row.transactionId || 'none'}) refused by the database and dropped (${callErrorMessage(rowError)})`,
        );
      }
      const lost = new ApiTrailWriteError(
        `${refused.length} API-trail row(s) refused by the database`,
        refused[0].error,
      );
      this.unreported = lost;
      return { error: lost };
    }
  }

  /**
   * Writes what it can of a batch the database refused, halving it to isolate the refused rows in
   * a few statements; returns those rows (all of them when no part of the batch went in).
   */
  private async refusedRows(
    batch: StampedApiEntry[],
    error: unknown,
  ): Promise<Array<{ row: StampedApiEntry; error: unknown }>> {
    const refused: Array<{ row: StampedApiEntry; error: unknown }> = [];
    const split = async (rows: StampedApiEntry[], known?: unknown): Promise<void> => {
      if (known === undefined) {
        try {
          await this.store.insert(this.dataSource, rows);
          return;
        } catch (rowError) {
          known = rowError;
        }
      }
      if (rows.length === 1) {
        refused.push({ row: rows[0], error: known });
        return;
      }
      const half = Math.ceil(rows.length / 2);
      await split(rows.slice(0, half));
      await split(rows.slice(half));
    };
    await split(batch, error);
    return refused;
  }

  private async databaseAnswers(): Promise<boolean> {
    try {
      await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /** Under fail-loud, the error of this pass, or one that cost rows earlier, reaches the caller. */
  private report(error: ApiTrailWriteError | undefined): void {
    const unreported = this.unreported;
    this.unreported = undefined;
    if (this.options.onError === 'fail-loud' && (error ?? unreported)) throw error ?? unreported;
  }

  private releaseRoom(all: boolean): void {
    while (this.roomWaiters.length > 0 && (all || this.pendingRows < MAX_QUEUED_ROWS)) {
      this.roomWaiters.shift()!();
    }
  }
}

interface BatchOutcome {
  retry?: boolean;
  error?: ApiTrailWriteError;
}

function contentTypeOf(headers: Record<string, string> | null): string | undefined {
  if (!headers) return undefined;
  const name = Object.keys(headers).find((key) => key.toLowerCase() === 'content-type');
  return name === undefined ? undefined : headers[name];
}

/** A services / skipHosts key that is not a host or URL stops the application at start-up. */
function patterns<T>(option: string, value: unknown, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof CallTargetPatternError) {
      throw new AuditOptionsError(option, `keys must be a host, host:port or base URL: ${error.message}`, value);
    }
    throw error;
  }
}
