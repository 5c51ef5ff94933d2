/** One operation of a case, given its sequence number (so each one can write distinct values). */
export type Operation = (n: number) => Promise<unknown>;

export interface AlternatePlan {
  /** Operations per variant before anything is recorded (JIT, connection pools, caches, query plans). */
  warmup: number;
  rounds: number;
  opsPerRound: number;
  /** Operations in flight at once within a batch. Default 1: one after another. */
  concurrency?: number;
}

/** What one variant did over all its measured batches. */
export interface Sample {
  ops: number;
  /** Wall time of the measured batches, summed. */
  elapsedMs: number;
  /** Latency of every measured operation, in milliseconds. */
  latenciesMs: number[];
}

export interface SampleStats {
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export function nowNs(): bigint {
  return process.hrtime.bigint();
}

export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The q-quantile (0..1) of the values, nearest-rank; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export function statsOf(sample: Sample): SampleStats {
  return {
    opsPerSecond: sample.elapsedMs > 0 ? (sample.ops * 1000) / sample.elapsedMs : Number.NaN,
    p50Ms: quantile(sample.latenciesMs, 0.5),
    p99Ms: quantile(sample.latenciesMs, 0.99),
  };
}

function emptySample(): Sample {
  return { ops: 0, elapsedMs: 0, latenciesMs: [] };
}

/**
 * Runs `count` operations, `concurrency` at a time, timing each one and the batch as a whole.
 * `next` hands out the sequence numbers so that no two operations of a run share one.
 */
export async function runBatch(
  operation: Operation,
  count: number,
  concurrency: number,
  next: () => number,
  into: Sample,
): Promise<void> {
  let remaining = count;
  const start = nowNs();
  const worker = async () => {
    while (remaining > 0) {
      remaining--;
      const n = next();
      const opStart = nowNs();
      await operation(n);
      into.latenciesMs.push(msSince(opStart));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  into.elapsedMs += msSince(start);
  into.ops += count;
}

/**
 * Both variants of a case in one run: a warm-up of each, then rounds of one batch per variant. The
 * order flips every round (A B, B A, A B ...), so a machine that speeds up or slows down during the
 * run (another process, autovacuum, a growing table) weighs on both variants alike.
 */
export async function alternate(
  variants: { baseline: Operation; audited: Operation },
  plan: AlternatePlan,
): Promise<{ baseline: Sample; audited: Sample }> {
  const concurrency = plan.concurrency ?? 1;
  let sequence = 0;
  const next = () => ++sequence;
  await runBatch(variants.baseline, plan.warmup, concurrency, next, emptySample());
  await runBatch(variants.audited, plan.warmup, concurrency, next, emptySample());
  const samples = { baseline: emptySample(), audited: emptySample() };
  for (let round = 0; round < plan.rounds; round++) {
    const order: Array<'baseline' | 'audited'> = round % 2 === 0 ? ['baseline', 'audited'] : ['audited', 'baseline'];
    for (const variant of order) {
      await runBatch(variants[variant], plan.opsPerRound, concurrency, next, samples[variant]);
    }
  }
  return samples;
}

/** Runs `operation` over and over, `concurrency` at a time, while `keepGoing()` holds. */
export async function runWhile(
  operation: Operation,
  concurrency: number,
  keepGoing: () => boolean,
  next: () => number,
): Promise<Sample> {
  const sample = emptySample();
  const start = nowNs();
  const worker = async () => {
    while (keepGoing()) {
      const n = next();
      const opStart = nowNs();
      await operation(n);
      sample.latenciesMs.push(msSince(opStart));
      sample.ops++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  sample.elapsedMs = msSince(start);
  return sample;
}
