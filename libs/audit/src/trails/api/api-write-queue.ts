import type { AuditOnError } from '../../options/audit-options';
import type { StampedApiEntry } from '../../store/api-log.store';
import { callErrorMessage } from './call-error';

/** Raised when API-trail rows could not be written under `apiAudit.onError: 'fail-loud'`. */
export class ApiTrailWriteError extends Error {
  constructor(message: string, cause: unknown) {
    super(`nestjs-audit-trail: ${message} (${callErrorMessage(cause)})`, { cause });
    this.name = 'ApiTrailWriteError';
  }
}

/** Where the queue writes: the API store on the application's DataSource, or a fake in tests. */
export interface ApiRowSink {
  /**
   * Writes rows in one or a few statements. Idempotent: a row whose `callId` is stored already is
   * not stored again, so a batch whose reply was lost can be sent again without a duplicate.
   */
  insert(rows: readonly StampedApiEntry[]): Promise<void>;
  /** Whether the database answers a trivial query. */
  answers(): Promise<boolean>;
  /** Which of these rows' call IDs are stored. */
  storedCallIds(rows: readonly StampedApiEntry[]): Promise<Set<string>>;
}

export interface ApiLogger {
  error(message: string): void;
  warn(message: string): void;
}

export interface ApiWriteQueueOptions {
  onError: AuditOnError;
  logger: ApiLogger;
  /** Rows that may wait before a new call waits for room. */
  maxRows?: number;
  /** Rows per INSERT. */
  batchSize?: number;
  retryDelaysMs?: readonly number[];
  /** How long a new call waits for room at most: back-pressure, never a deadlock. */
  roomWaitMs?: number;
}

/**
 * How many rows may wait for the writer. Past it, a NEW outbound call waits (before it is sent)
 * until the writer has made room, for at most {@link ROOM_WAIT_MS}: the trail must not lose calls,
 * memory must stay bounded when the audit database is slow or down, and the wait must end even when
 * the writer cannot move (every pool connection held by a transaction that waits on this very call).
 */
export const MAX_QUEUED_ROWS = 5000;
/** How long a new call waits for room in the queue, at most. */
export const ROOM_WAIT_MS = 2000;
/** Rows per background INSERT (one multi-row statement). */
const BATCH_SIZE = 200;
const RETRY_DELAYS_MS = [100, 250, 500, 1000, 2000, 5000];

/**
 * The API trail's background writer: rows queue in memory, and a writer inserts them in multi-row
 * batches off the callers' path.
 *
 * - Every row carries a call ID and the sink's insert is idempotent, so a batch is simply sent again
 *   after any failure: a lost reply never duplicates a row.
 * - While the database does not answer (a cut, a flapping network, a full pool), rows are kept and
 *   retried with backoff, under both onError modes; the retry timer is re-armed after a failed
 *   flush() too, so kept rows never wait for the next call.
 * - When the database answers but refuses the batch, it is halved to find the rows it refuses; a
 *   row counts as refused only when the database refused it alone AND its call ID is not stored, so
 *   a row that went in despite an error is never reported dropped. Refused rows are dropped and
 *   logged (fail-loud: reported by the next flush() or drain). When it refuses every row (a missing
 *   table, a revoked grant) fail-loud keeps them for later; fail-silent drops them.
 * - drain() and close() finish in bounded time, reporting what they could not write.
 */
export class ApiWriteQueue {
  private queue: StampedApiEntry[] = [];
  private writingRows = 0;
  private roomWaiters: Array<() => void> = [];
  private lastPass: Promise<unknown> = Promise.resolve();
  private scheduled = false;
  private retryTimer?: NodeJS.Timeout;
  private retries = 0;
  /** A fail-loud error that cost rows and that no flush() or drain has reported yet. */
  private unreported?: ApiTrailWriteError;
  private closed = false;
  private warnedFull = false;
  private readonly maxRows: number;
  private readonly batchSize: number;
  private readonly retryDelays: readonly number[];
  private readonly roomWaitMs: number;

  constructor(
    private readonly sink: ApiRowSink,
    private readonly options: ApiWriteQueueOptions,
  ) {
    this.maxRows = options.maxRows ?? MAX_QUEUED_ROWS;
    this.batchSize = options.batchSize ?? BATCH_SIZE;
    this.retryDelays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
    this.roomWaitMs = options.roomWaitMs ?? ROOM_WAIT_MS;
  }

  /** Rows waiting for the writer (queued or being inserted). */
  get pendingRows(): number {
    return this.queue.length + this.writingRows;
  }

  /**
   * Resolves once the queue has room for a new call's row, or after {@link ROOM_WAIT_MS} at most;
   * undefined when it has room now, so callers add no asynchronous step in the common case.
   */
  room(): Promise<void> | undefined {
    if (this.closed || this.pendingRows < this.maxRows) return undefined;
    if (!this.warnedFull) {
      this.warnedFull = true;
      this.options.logger.warn(
        `API trail: ${this.pendingRows} row(s) wait for the database; new outbound calls wait up to ${this.roomWaitMs} ms for room`,
      );
    }
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const release = (): void => {
        clearTimeout(timer);
        resolve();
      };
      timer = setTimeout(() => {
        this.roomWaiters = this.roomWaiters.filter((waiter) => waiter !== release);
        resolve();
      }, this.roomWaitMs);
      timer.unref();
      this.roomWaiters.push(release);
    });
  }

  /** Queues a row for the background writer. */
  push(row: StampedApiEntry): void {
    this.queue.push(row);
    this.scheduleWrite();
  }

  /**
   * Writes every queued row now. Under fail-loud it rejects with an ApiTrailWriteError when rows
   * could not be written (or were lost since the last flush); the rows kept are retried in the
   * background all the same.
   */
  async flush(): Promise<void> {
    this.clearRetry();
    const error = await this.writePass();
    if (error && this.queue.length > 0 && !this.closed) this.scheduleRetry();
    this.report(error);
  }

  /** Shutdown, part 1: writes the queue, waiting `timeoutMs` at most; reports what is left. */
  async drain(timeoutMs: number): Promise<void> {
    this.clearRetry();
    const error = await this.boundedPass(timeoutMs);
    if (error && this.pendingRows > 0) {
      this.options.logger.error(
        `API trail: ${this.pendingRows} row(s) could not be written before shutdown (${callErrorMessage(error.cause)})`,
      );
    }
    this.report(error);
  }

  /**
   * Shutdown, part 2: no new call waits for room any more; what is queued is written if the
   * database can still be reached (within `timeoutMs`), else reported lost.
   */
  async close(canWrite: boolean, timeoutMs: number): Promise<void> {
    this.closed = true;
    this.clearRetry();
    this.releaseRoom(true);
    if (this.pendingRows === 0) return;
    if (canWrite) {
      const error = await this.boundedPass(timeoutMs);
      if (error && this.pendingRows > 0) {
        this.options.logger.error(
          `API trail: ${this.pendingRows} row(s) lost at shutdown (${callErrorMessage(error.cause)})`,
        );
      }
      this.report(error);
      return;
    }
    this.options.logger.error(
      `API trail: ${this.queue.length} row(s) lost: the DataSource closed before they were written`,
    );
    this.queue = [];
  }

  private async boundedPass(timeoutMs: number): Promise<ApiTrailWriteError | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ApiTrailWriteError>((resolve) => {
      timer = setTimeout(
        () =>
          resolve(
            new ApiTrailWriteError(
              `${this.pendingRows} API-trail row(s) not written`,
              new Error(`the database did not take them within ${timeoutMs} ms`),
            ),
          ),
        timeoutMs,
      );
      timer.unref();
    });
    try {
      return await Promise.race([this.writePass(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private scheduleWrite(): void {
    if (this.scheduled || this.retryTimer || this.closed) return;
    this.scheduled = true;
    // setImmediate rather than writing at once: the rows of every call that ends in this turn of
    // the event loop go into one INSERT.
    setImmediate(() => {
      this.scheduled = false;
      void this.writePass().then((error) => {
        if (error && this.queue.length > 0 && !this.closed) this.scheduleRetry();
      });
    });
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    const delay = this.retryDelays[Math.min(this.retries++, this.retryDelays.length - 1)];
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
      const batch = this.queue.splice(0, this.batchSize);
      this.writingRows += batch.length;
      let outcome: BatchOutcome;
      try {
        outcome = await this.writeBatch(batch);
      } catch (error) {
        // Not a database answer but a fault of ours: keep the rows rather than lose them with it.
        this.options.logger.error(
          `API trail: ${batch.length} row(s) not written yet (${callErrorMessage(error)}); kept`,
        );
        outcome = {
          kept: batch,
          error: new ApiTrailWriteError(`${batch.length} API-trail row(s) not written`, error),
        };
      } finally {
        this.writingRows -= batch.length;
      }
      if (outcome.error) failure = outcome.error;
      if (outcome.kept && outcome.kept.length > 0) {
        this.queue.unshift(...outcome.kept);
        break;
      }
      this.releaseRoom(false);
    }
    if (!failure) {
      this.retries = 0;
      this.warnedFull = false;
    }
    return failure;
  }

  private async writeBatch(batch: StampedApiEntry[]): Promise<BatchOutcome> {
    try {
      await this.sink.insert(batch);
      return {};
    } catch (error) {
      const silent = this.options.onError === 'fail-silent';
      const answers = !isConnectionFault(error) && (await this.sink.answers());
      const { refused, kept } = answers ? await this.split(batch, error) : { refused: [], kept: batch };
      if (kept.length === 0 && refused.length === 0) return {};
      if (refused.length === batch.length && !silent) {
        // Every row refused: the table itself is missing or closed to us; it may come back.
        this.options.logger.error(
          `API trail: ${batch.length} row(s) not written yet (${callErrorMessage(error)}); kept and retried (onError: fail-loud)`,
        );
        return {
          kept: batch,
          error: new ApiTrailWriteError(`${batch.length} API-trail row(s) not written`, error),
        };
      }
      if (kept.length > 0) {
        this.options.logger.error(
          `API trail: ${kept.length} row(s) not written yet: the database did not answer (${callErrorMessage(error)}); kept and retried`,
        );
      }
      for (const { row, error: rowError } of refused) {
        this.options.logger.error(
          `API trail: row of ${row.method} ${row.service} ${row.endpoint} (transaction ${row.transactionId || 'none'}) refused by the database and dropped (${callErrorMessage(rowError)})${silent ? ' (onError: fail-silent)' : ''}`,
        );
      }
      let reported: ApiTrailWriteError | undefined;
      if (refused.length > 0 && !silent) {
        reported = new ApiTrailWriteError(
          `${refused.length} API-trail row(s) refused by the database`,
          refused[0].error,
        );
        this.unreported = reported;
      }
      const keptError =
        kept.length > 0 ? new ApiTrailWriteError(`${kept.length} API-trail row(s) not written`, error) : undefined;
      return { kept, error: silent ? keptError : (reported ?? keptError) };
    }
  }

  /**
   * Writes what it can of a batch the database refused, halving it to isolate the rows it refuses
   * in a few statements. A row is refused only when the database refused it alone and does not hold
   * it; rows whose insert failed without an answer from the database are kept for the retry.
   */
  private async split(
    batch: StampedApiEntry[],
    error: unknown,
  ): Promise<{ refused: Refusal[]; kept: StampedApiEntry[] }> {
    const refused: Refusal[] = [];
    const kept: StampedApiEntry[] = [];
    const visit = async (rows: StampedApiEntry[], known?: unknown): Promise<void> => {
      if (known === undefined) {
        try {
          await this.sink.insert(rows);
          return;
        } catch (rowError) {
          known = rowError;
        }
      }
      if (isConnectionFault(known)) {
        kept.push(...rows);
        return;
      }
      if (rows.length === 1) {
        let stored: Set<string>;
        try {
          stored = await this.sink.storedCallIds(rows);
        } catch {
          kept.push(rows[0]);
          return;
        }
        const callId = rows[0].callId;
        if (callId && stored.has(callId)) return;
        // Once more, alone: the table may have come back between the insert and the check.
        try {
          await this.sink.insert(rows);
          return;
        } catch (again) {
          if (isConnectionFault(again)) kept.push(rows[0]);
          else refused.push({ row: rows[0], error: again });
        }
        return;
      }
      const half = Math.ceil(rows.length / 2);
      await visit(rows.slice(0, half));
      await visit(rows.slice(half));
    };
    await visit(batch, error);
    return { refused, kept };
  }

  /** Under fail-loud, the error of this pass, or one that cost rows earlier, reaches the caller. */
  private report(error: ApiTrailWriteError | undefined): void {
    const unreported = this.unreported;
    this.unreported = undefined;
    if (this.options.onError === 'fail-loud' && (error ?? unreported)) throw error ?? unreported;
  }

  private releaseRoom(all: boolean): void {
    while (this.roomWaiters.length > 0 && (all || this.pendingRows < this.maxRows)) {
      this.roomWaiters.shift()!();
    }
  }
}

interface Refusal {
  row: StampedApiEntry;
  error: unknown;
}

interface BatchOutcome {
  /** Rows to put back at the head of the queue. */
  kept?: StampedApiEntry[];
  error?: ApiTrailWriteError;
}

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTCONN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
]);
const CONNECTION_MESSAGE =
  /connection (terminated|lost|closed|ended|refused|reset)|terminated unexpectedly|socket hang up|closed state|not connected|timeout exceeded when trying to connect|pool is closed|cannot enqueue/i;

/**
 * Whether an insert failed without an answer from the database: a dropped or refused connection,
 * a timeout, a busy file. Such a failure says nothing about the rows, so they are kept and retried.
 */
export function isConnectionFault(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const { code, message, driverError, cause } = current as {
      code?: unknown;
      message?: unknown;
      driverError?: unknown;
      cause?: unknown;
    };
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || /^(08|57P)/.test(code))) return true;
    if (typeof message === 'string' && CONNECTION_MESSAGE.test(message)) return true;
    current = driverError ?? cause;
  }
  return false;
}
