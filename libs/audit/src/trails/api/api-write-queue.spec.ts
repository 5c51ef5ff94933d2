import type { StampedApiEntry } from '../../store/api-log.store';
import { type ApiRowSink, ApiTrailWriteError, ApiWriteQueue } from './api-write-queue';

const connectionLost = (): Error =>
  Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
const refused = (): Error => Object.assign(new Error('new row violates check constraint'), { code: '23514' });

/** A table in memory with the store's contract: idempotent by call ID; faults scripted per insert. */
class FakeSink implements ApiRowSink {
  readonly stored = new Map<string, StampedApiEntry>();
  inserts = 0;
  /** What the next inserts do: 'ok', 'down' (no answer), 'lost' (stored, reply lost), 'hang'. */
  script: Array<'ok' | 'down' | 'lost' | 'hang'> = [];
  down = false;
  poison = new Set<string>();

  async insert(rows: readonly StampedApiEntry[]): Promise<void> {
    this.inserts++;
    const step = this.script.shift() ?? (this.down ? 'down' : 'ok');
    if (step === 'hang') return new Promise(() => undefined);
    if (step === 'down') throw connectionLost();
    if (rows.some((row) => this.poison.has(row.callId!))) throw refused();
    for (const row of rows) if (!this.stored.has(row.callId!)) this.stored.set(row.callId!, row);
    if (step === 'lost') throw connectionLost();
  }

  async answers(): Promise<boolean> {
    return !this.down;
  }

  async storedCallIds(rows: readonly StampedApiEntry[]): Promise<Set<string>> {
    if (this.down) throw connectionLost();
    return new Set(rows.map((row) => row.callId!).filter((id) => this.stored.has(id)));
  }
}

let sequence = 0;
function row(endpoint = '/x'): StampedApiEntry {
  return {
    callId: `call-${++sequence}`,
    service: 's',
    endpoint,
    method: 'GET',
    statusCode: 200,
    requestHeaders: null,
    requestBody: null,
    responseBody: null,
    durationMs: 1,
    errorMessage: null,
    userId: 'u',
    metadata: null,
    transactionId: '',
    createdAt: new Date(),
  };
}

function queueOn(sink: FakeSink, options: Partial<ConstructorParameters<typeof ApiWriteQueue>[1]> = {}) {
  const logs: string[] = [];
  const queue = new ApiWriteQueue(sink, {
    onError: 'fail-loud',
    logger: { error: (message) => logs.push(message), warn: (message) => logs.push(message) },
    retryDelaysMs: [10],
    ...options,
  });
  return { queue, logs };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ApiWriteQueue', () => {
  it('writes queued rows in batches', async () => {
    const sink = new FakeSink();
    const { queue } = queueOn(sink, { batchSize: 3 });
    for (let i = 0; i < 7; i++) queue.push(row());
    await queue.flush();
    expect(sink.stored.size).toBe(7);
    expect(sink.inserts).toBe(3);
    expect(queue.pendingRows).toBe(0);
  });

  it('keeps rows while the database does not answer and retries them by itself', async () => {
    const sink = new FakeSink();
    sink.down = true;
    const { queue } = queueOn(sink);
    queue.push(row());
    await expect(queue.flush()).rejects.toThrow(ApiTrailWriteError);
    expect(queue.pendingRows).toBe(1);
    sink.down = false;
    await sleep(60);
    expect(sink.stored.size).toBe(1);
  });

  it('keeps rows under fail-silent too while the database does not answer, and flush resolves', async () => {
    const sink = new FakeSink();
    sink.down = true;
    const { queue } = queueOn(sink, { onError: 'fail-silent' });
    queue.push(row());
    await expect(queue.flush()).resolves.toBeUndefined();
    sink.down = false;
    await sleep(60);
    expect(sink.stored.size).toBe(1);
  });

  it('stores a batch once when its reply was lost, and reports nothing refused', async () => {
    const sink = new FakeSink();
    sink.script = ['lost'];
    const { queue, logs } = queueOn(sink);
    const rows = [row(), row(), row()];
    for (const r of rows) queue.push(r);
    await queue.flush().catch(() => undefined);
    await queue.flush();
    expect([...sink.stored.keys()]).toEqual(rows.map((r) => r.callId));
    expect(logs.join('\n')).not.toContain('refused');
  });

  it('halves a refused batch: writes the others, drops and reports the poison row once', async () => {
    const sink = new FakeSink();
    const rows = Array.from({ length: 8 }, () => row());
    sink.poison.add(rows[5].callId!);
    const { queue, logs } = queueOn(sink);
    for (const r of rows) queue.push(r);
    await expect(queue.flush()).rejects.toThrow('1 API-trail row(s) refused');
    expect(sink.stored.size).toBe(7);
    expect(sink.stored.has(rows[5].callId!)).toBe(false);
    expect(logs.filter((line) => line.includes('refused by the database and dropped'))).toHaveLength(1);
    await expect(queue.flush()).resolves.toBeUndefined();
  });

  it('does not report a row dropped when the connection failed while halving', async () => {
    const sink = new FakeSink();
    const rows = Array.from({ length: 4 }, () => row());
    sink.poison.add(rows[0].callId!);
    // Whole batch refused, then the first half's insert loses its connection.
    sink.script = ['ok', 'down'];
    const { queue } = queueOn(sink);
    for (const r of rows) queue.push(r);
    await queue.flush().catch(() => undefined);
    sink.poison.clear();
    await queue.flush();
    expect(sink.stored.size).toBe(4);
  });

  it('back-pressure: room() waits while the queue is at its bound, and only for a bounded time', async () => {
    const sink = new FakeSink();
    sink.script = ['hang'];
    const { queue } = queueOn(sink, { maxRows: 2, roomWaitMs: 100 });
    queue.push(row());
    queue.push(row());
    await sleep(5);
    const room = queue.room();
    expect(room).toBeDefined();
    const started = Date.now();
    await room;
    // The writer never came back (a pool held by the very callers that wait): the wait ends anyway.
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('back-pressure: room() resolves as soon as the writer made room', async () => {
    const sink = new FakeSink();
    sink.down = true;
    const { queue } = queueOn(sink, { maxRows: 2, roomWaitMs: 10_000 });
    queue.push(row());
    queue.push(row());
    await sleep(5);
    const room = queue.room();
    expect(room).toBeDefined();
    sink.down = false;
    const started = Date.now();
    await room;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(queue.room()).toBeUndefined();
  });

  it('drain and close finish in bounded time when the database never answers, and say so', async () => {
    const sink = new FakeSink();
    sink.script = ['hang'];
    const { queue, logs } = queueOn(sink);
    queue.push(row());
    await sleep(5);
    const started = Date.now();
    await expect(queue.drain(100)).rejects.toThrow('not written');
    await expect(queue.close(true, 100)).rejects.toThrow('not written');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(logs.join('\n')).toMatch(/could not be written before shutdown|lost at shutdown/);
  });

  it('close reports rows lost when the DataSource is already closed', async () => {
    const sink = new FakeSink();
    sink.down = true;
    const { queue, logs } = queueOn(sink, { onError: 'fail-silent' });
    queue.push(row());
    await queue.flush();
    await queue.close(false, 100);
    expect(logs.join('\n')).toContain('1 row(s) lost');
    expect(queue.pendingRows).toBe(0);
  });
});
