import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import type { ResolvedApiAuditOptions } from '../../options/audit-options';
import { AuditOptionsError } from '../../options/audit-options.validation';
import type { ApiLogStore, StampedApiEntry } from '../../store/api-log.store';
import type { ApiEntry } from '../../store/audit-entry';
import type { AuditContext } from '../../transaction/audit-context';
import { type StreamBody, prepareBody } from './api-body';
import { ApiWriteQueue } from './api-write-queue';
import { callErrorMessage } from './call-error';
import { CallTargetPatternError, ServiceNames, SkipRules, endpointOf } from './call-target';
import { RedactionRules, redactHeaders } from './redaction';
import { type CapturedBody, captureLimit, storedResponseBody } from './response-capture';

export { ApiTrailWriteError, MAX_QUEUED_ROWS } from './api-write-queue';

/**
 * How long shutdown waits for calls still in flight (and flush() for response bodies still being
 * read) before recording them with what is known: a row is never traded for a hung close.
 */
export const SETTLE_GRACE_MS = 10_000;
/** How long shutdown waits for the database to take the queued rows, at most. */
export const WRITE_GRACE_MS = 10_000;
/** How long a write-ahead call waits for its pending row, at most, before it is sent anyway. */
export const WRITE_AHEAD_WAIT_MS = 2_000;
/** What the pending row of a write-ahead call says until the call's outcome replaces it. */
export const PENDING_MESSAGE = 'outcome not recorded: the call was sent, then the application stopped';

/** What a call's scope knew when the call started: rows are stamped at call time, not write time. */
interface CallScope {
  transactionId: string;
  userId: string;
  metadata: Record<string, unknown> | null;
}

/**
 * A call as a hook observed it: raw headers and bodies, before redaction and truncation. The
 * recorder alone turns it into a stored row.
 */
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
  /** A response body read as bytes (fetch), whole or in part, instead of `responseBody`. */
  responseCapture?: CapturedBody;
  /** The response body is a stream the trail does not read (an event stream). */
  responseStreamed?: boolean;
  /** Stored as null whatever else was seen. */
  noResponseBody?: boolean;
  errorMessage?: string | null;
}

/** What a hook hands `respond` so that the row can be written before the body ends. */
export interface BodyInProgress {
  /** Stops capturing (the caller's stream goes on) and says what was captured. */
  stop(): Partial<ObservedCall>;
  /** Whether the capture waits for the caller to read on. */
  waitingOnCaller(): boolean;
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
  /** The row's `call_id`: the pending row and the final one are the same row. */
  readonly callId = randomUUID();
  private readonly started = performance.now();
  private ended?: number;
  private observed: ObservedCall = { statusCode: 0 };
  private body?: BodyInProgress;
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

  /** Whether the row was written (or handed to the queue). */
  get isFinished(): boolean {
    return this.finished;
  }

  /** Whether the row now waits only for the caller to read the body on. */
  get waitingOnCaller(): boolean {
    return !this.finished && this.body?.waitingOnCaller() === true;
  }

  /**
   * Before the request is sent: for a call whose service is written ahead, its pending row goes
   * in first (waiting {@link WRITE_AHEAD_WAIT_MS} at most). Undefined when there is nothing to wait for.
   */
  beforeSend(request: Partial<ObservedCall>): Promise<void> | undefined {
    return this.recorder.writeAhead(this, request);
  }

  /**
   * The response head arrived: the duration stops here (what the caller waited for), while the
   * body is read as the caller reads it; `body` lets shutdown or flush() write the row before that.
   */
  respond(observed: ObservedCall, body?: BodyInProgress): void {
    this.ended ??= performance.now();
    this.observed = { ...this.observed, ...observed };
    this.body = body;
  }

  /** Writes the row (once): whatever `respond` saw, completed by `observed`. Never throws. */
  finish(observed?: Partial<ObservedCall>): void {
    if (this.finished) return;
    this.finished = true;
    this.ended ??= performance.now();
    try {
      this.recorder.enqueue(this.toRow({ ...this.observed, ...observed }));
    } catch {
      // The trail must never cost the caller its call (nor the process its life): a row is still due.
      try {
        this.recorder.enqueue(
          this.toRow({ statusCode: this.observed.statusCode, errorMessage: 'call could not be recorded in full' }),
        );
      } catch {
        // Nothing left to record with.
      }
    } finally {
      this.recorder.closed(this);
      this.resolveSettled();
    }
  }

  /** The call failed before any response (statusCode stays 0) or with one (an error status). */
  fail(error: unknown, observed?: Partial<ObservedCall>): void {
    this.finish({ ...observed, errorMessage: callErrorMessage(error) });
  }

  /** Shutdown or flush() cannot wait any longer: record what is known now. */
  abandon(reason: 'shutdown' | 'flush'): void {
    if (this.finished) return;
    if (!this.responded) {
      this.finish({ statusCode: 0, errorMessage: 'no response before the application shut down' });
      return;
    }
    let partial: Partial<ObservedCall> = { responseStreamed: true };
    try {
      partial = this.body?.stop() ?? partial;
    } catch {
      // Keep the marker.
    }
    this.finish({
      ...partial,
      errorMessage:
        this.observed.errorMessage ??
        (reason === 'shutdown'
          ? 'response body still being read when the application shut down'
          : 'response body not read to its end by the caller when the row was written'),
    });
  }

  /** @internal */
  toRow(call: ObservedCall): StampedApiEntry {
    return this.recorder.stampObserved(call, {
      service: this.service,
      endpoint: this.endpoint,
      method: this.method,
      durationMs: (this.ended ?? performance.now()) - this.started,
      createdAt: this.startedAt,
      scope: this.scope,
      callId: this.callId,
    });
  }
}

/**
 * The API trail (docs/behaviour.md, "API trail"): stamps each call with the user, request metadata and
 * transaction ID of its scope at CALL time, redacts and truncates its headers and bodies, and hands
 * the rows to the write queue ({@link ApiWriteQueue}), which inserts them off the caller's critical
 * path; shutdown drains it before the DataSource closes.
 *
 * Calls to the services named by `apiAudit.writeAhead` are durable: a pending row is written
 * before the request leaves, and the call's outcome replaces it (same `call_id`), so a process that
 * dies in between still leaves evidence of the call.
 *
 * `apiAudit.onError` for the background writes (see ApiWriteQueue): `fail-silent` logs and drops
 * what the database refuses; `fail-loud` also keeps rows while the whole table is refused, and
 * `flush()` (`AuditService.flushApiCalls`) and the shutdown drain reject with an
 * ApiTrailWriteError. Both keep rows while the database does not answer.
 *
 * Rows recorded by hand (`record`) are written at once, and a failure follows onError as for the
 * data trail: fail-loud rejects to the caller, fail-silent logs.
 */
export class ApiTrailRecorder {
  private readonly logger = new Logger('AuditTrail');
  private readonly serviceNames: ServiceNames;
  private readonly skipRules: SkipRules;
  private readonly redaction: RedactionRules;
  private readonly open = new Set<OpenCall>();
  private readonly queue: ApiWriteQueue;
  private readonly writeAheadServices: ReadonlySet<string> | 'all' | undefined;

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
    this.redaction = new RedactionRules(options.redactHeaders, options.redactBodyFields, options.defaultRedaction);
    const ahead = options.writeAhead;
    this.writeAheadServices =
      ahead === true ? 'all' : Array.isArray(ahead) && ahead.length > 0 ? new Set(ahead) : undefined;
    this.queue = new ApiWriteQueue(
      {
        insert: (rows) => store.insert(dataSource, rows),
        answers: async () => {
          try {
            await dataSource.query('SELECT 1');
            return true;
          } catch {
            return false;
          }
        },
        storedCallIds: (rows) => store.storedCallIds(dataSource, rows),
      },
      { onError: options.onError, logger: this.logger },
    );
  }

  /** Header that carries the transaction ID downstream, or false. */
  get propagateHeader(): string | false {
    return this.options.propagateHeader;
  }

  /** Rows waiting for the writer (queued or being inserted). */
  get pendingRows(): number {
    return this.queue.pendingRows;
  }

  /** How many bytes of a response body a hook keeps for the row (the rest is only counted). */
  get captureLimit(): number {
    return captureLimit(this.options.maxBodySize);
  }

  /**
   * Resolves once the queue has room for a new call's row (or after a bounded wait); undefined
   * when it has room now, so the hooks add no asynchronous step in the common case.
   */
  room(): Promise<void> | undefined {
    return this.queue.room();
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

  /** @internal The pending row of a write-ahead call; see OpenCall.beforeSend. */
  writeAhead(call: OpenCall, request: Partial<ObservedCall>): Promise<void> | undefined {
    const services = this.writeAheadServices;
    if (!services || (services !== 'all' && !services.has(call.service))) return undefined;
    let row: StampedApiEntry;
    try {
      row = call.toRow({ ...request, statusCode: 0, errorMessage: PENDING_MESSAGE });
      row.durationMs = 0;
    } catch {
      return undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), WRITE_AHEAD_WAIT_MS);
      timer.unref();
    });
    const written = this.store.insert(this.dataSource, [row], 'ignore').then(
      () => 'written' as const,
      (error: unknown) => error,
    );
    return Promise.race([written, timeout]).then((outcome) => {
      clearTimeout(timer);
      if (outcome === 'written') return;
      // The call goes on all the same: its row follows through the queue, as for any other call.
      this.logger.error(
        `API trail: pending row of ${row.method} ${row.service} ${row.endpoint} not written before the call (${
          outcome === 'timeout' ? `no answer within ${WRITE_AHEAD_WAIT_MS} ms` : callErrorMessage(outcome)
        }); the call is sent and its row queued`,
      );
    });
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
        callId: randomUUID(),
      },
    );
  }

  /** @internal Builds the stored row of an observed call: the one place bodies are prepared. */
  stampObserved(
    call: ObservedCall,
    row: {
      service: string;
      endpoint: string;
      method: string;
      durationMs: number;
      createdAt: Date;
      scope: CallScope;
      callId: string;
      userId?: string;
      metadata?: Record<string, unknown> | null;
      transactionId?: string;
    },
  ): StampedApiEntry {
    const { maxBodySize } = this.options;
    const headers = redactHeaders(call.requestHeaders, this.redaction);
    const responseHeaders =
      call.responseHeaders === undefined ? {} : redactHeaders(call.responseHeaders, this.redaction);
    const scopeMetadata = row.scope.metadata;
    return {
      callId: row.callId,
      service: row.service,
      endpoint: row.endpoint,
      method: row.method,
      statusCode: call.statusCode,
      requestHeaders: Object.keys(headers).length > 0 ? headers : null,
      responseHeaders: Object.keys(responseHeaders).length > 0 ? responseHeaders : null,
      requestBody: prepareBody(call.requestBody, call.requestContentType, this.redaction, maxBodySize),
      responseBody: this.responseBodyOf(call),
      durationMs: row.durationMs,
      errorMessage: call.errorMessage || null,
      userId: row.userId || row.scope.userId,
      metadata: scopeMetadata || row.metadata ? { ...scopeMetadata, ...row.metadata } : null,
      transactionId: row.transactionId || row.scope.transactionId,
      createdAt: row.createdAt,
    };
  }

  private responseBodyOf(call: ObservedCall): unknown {
    const contentType = call.responseContentType ?? null;
    if (call.noResponseBody) return null;
    if (call.responseStreamed) {
      const stream: StreamBody = { _stream: true, content_type: contentType };
      return stream;
    }
    if (call.responseCapture) {
      try {
        return storedResponseBody(call.responseCapture, contentType, this.redaction, this.options.maxBodySize);
      } catch {
        return { _unreadable: true };
      }
    }
    return prepareBody(call.responseBody, contentType, this.redaction, this.options.maxBodySize);
  }

  /** @internal Queues a finished call's row for the background writer. */
  enqueue(row: StampedApiEntry): void {
    this.queue.push(row);
  }

  /** @internal */
  closed(call: OpenCall): void {
    this.open.delete(call);
  }

  /**
   * Writes every queued row now, after waiting (up to {@link SETTLE_GRACE_MS}) for response bodies
   * still being read; a body that waits for its caller to read on is not waited for (its row is
   * written with what was read). Calls still waiting for their response are not waited for. Under
   * fail-loud it rejects with an ApiTrailWriteError when rows could not be written (or were lost
   * since the last flush); under fail-silent it resolves, failures having been logged.
   */
  async flush(): Promise<void> {
    const responded = [...this.open].filter((call) => call.responded);
    for (const call of responded) if (call.waitingOnCaller) call.abandon('flush');
    await this.settle(
      responded.filter((call) => !call.waitingOnCaller),
      false,
      'flush',
    );
    await this.queue.flush();
  }

  /**
   * Shutdown, part 1 (beforeApplicationShutdown, while the DataSource is still open): waits up to
   * {@link SETTLE_GRACE_MS} for calls in flight, records the ones still open with what is known,
   * and writes the queue, waiting {@link WRITE_GRACE_MS} at most. Under fail-loud, rows that could
   * not be written raise an error here.
   */
  async drain(): Promise<void> {
    await this.settle([...this.open], true, 'shutdown');
    await this.queue.drain(WRITE_GRACE_MS);
  }

  /**
   * Shutdown, part 2 (onApplicationShutdown, once the hooks are removed): rows of calls that ended
   * after the drain are written if the DataSource is still open, else reported as lost.
   */
  async close(): Promise<void> {
    for (const call of [...this.open]) call.abandon('shutdown');
    await this.queue.close(this.dataSource.isInitialized, WRITE_GRACE_MS);
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

  private async settle(calls: OpenCall[], all: boolean, reason: 'shutdown' | 'flush'): Promise<void> {
    if (calls.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    let poll: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SETTLE_GRACE_MS);
      timer.unref();
      // A body that waits for its caller to read on will not end by itself: stop waiting for it.
      poll = setInterval(() => {
        if (calls.every((call) => !call.responded || call.waitingOnCaller || call.isFinished)) {
          if (!all || calls.every((call) => call.responded)) resolve();
        }
      }, 50);
      poll.unref();
    });
    await Promise.race([Promise.all(calls.map((call) => call.settled)), grace]);
    clearTimeout(timer);
    clearInterval(poll);
    for (const call of calls) if (all || call.responded) call.abandon(reason);
  }
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
