import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { type Sample, statsOf } from './measure';

/**
 * One line of the results. `ratio` is audited / baseline; for a row measured in time that means
 * lower is better, and its target says `<=`. A target of `info` has no pass mark in the issue: the
 * row is there to be read (latency percentiles, absolute times).
 */
export interface BenchRow {
  name: string;
  dialect: string;
  unit: string;
  baseline: number | null;
  audited: number | null;
  ratio: number | null;
  target: string;
  /** Why the row has no numbers; printed, not written to the JSON (whose shape is fixed). */
  skipped?: string;
}

export const INFO = 'info';

export interface Machine {
  cpus: string;
  node: string;
  postgres: string | null;
  mariadb: string | null;
}

export interface BenchResults {
  date: string;
  machine: Machine;
  rows: Array<Omit<BenchRow, 'skipped'>>;
}

export function machineOf(postgres: string | undefined, mariadb: string | undefined): Machine {
  const list = cpus();
  return {
    cpus: `${list.length} x ${list[0]?.model.trim() ?? 'unknown'}`,
    node: process.version,
    postgres: postgres ?? null,
    mariadb: mariadb ?? null,
  };
}

function ratioOf(baseline: number, audited: number): number {
  return baseline > 0 ? audited / baseline : Number.NaN;
}

/**
 * The rows of one throughput comparison: operations per second against `target`, then p50 and p99
 * latency for reading (the issue sets no latency target; a slower p50 shows up in throughput anyway).
 */
export function throughputRows(
  name: string,
  dialect: string,
  samples: { baseline: Sample; audited: Sample },
  target: string,
  unit = 'ops/s',
): BenchRow[] {
  const baseline = statsOf(samples.baseline);
  const audited = statsOf(samples.audited);
  return [
    row(name, dialect, unit, baseline.opsPerSecond, audited.opsPerSecond, target),
    row(`${name}: p50`, dialect, 'ms', baseline.p50Ms, audited.p50Ms, INFO),
    row(`${name}: p99`, dialect, 'ms', baseline.p99Ms, audited.p99Ms, INFO),
  ];
}

export function row(
  name: string,
  dialect: string,
  unit: string,
  baseline: number | null,
  audited: number | null,
  target: string,
): BenchRow {
  const ratio = baseline === null || audited === null ? null : ratioOf(baseline, audited);
  return { name, dialect, unit, baseline, audited, ratio, target };
}

export function skippedRow(name: string, dialect: string, unit: string, target: string, reason: string): BenchRow {
  return { name, dialect, unit, baseline: null, audited: null, ratio: null, target, skipped: reason };
}

/**
 * A target that follows another row of the same run and dialect: `>= 0.90 x <row name>` until that
 * row's ratio is known, then (see `resolveTargets`) `>= 0.682 (0.90 x <row name> 0.758)`.
 */
export function relativeTarget(factor: number, rowName: string): string {
  return `>= ${factor.toFixed(2)} x ${rowName}`;
}

const RELATIVE_TARGET = /^>= ([0-9.]+) x (.+)$/;

/**
 * Turns each relative target into a number from the ratio of the row it names (same dialect); when
 * that row was not measured in this run, the target says so and the row gets no verdict.
 */
export function resolveTargets(rows: readonly BenchRow[]): BenchRow[] {
  return rows.map((benchRow) => {
    const match = RELATIVE_TARGET.exec(benchRow.target);
    if (!match) return benchRow;
    const [, factor, name] = match;
    const reference = rows.find((other) => other.name === name && other.dialect === benchRow.dialect);
    const ratio = reference?.ratio;
    if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) {
      return { ...benchRow, target: `${factor} x ${name} (not measured in this run)` };
    }
    const bound = Number(factor) * ratio;
    return { ...benchRow, target: `>= ${bound.toFixed(3)} (${factor} x ${name} ${ratio.toFixed(3)})` };
  });
}

/** 'yes', 'NO', or '-' when the row has no target (or an unresolved one) or no ratio. */
export function verdict(benchRow: BenchRow): string {
  const match = /^(>=|<=)\s*([0-9.]+)(\s+\(|$)/.exec(benchRow.target);
  if (!match || benchRow.ratio === null || Number.isNaN(benchRow.ratio)) return '-';
  const bound = Number(match[2]);
  const ok = match[1] === '>=' ? benchRow.ratio >= bound : benchRow.ratio <= bound;
  return ok ? 'yes' : 'NO';
}

function rounded(value: number | null, digits: number): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function digitsFor(unit: string): number {
  return unit.endsWith('/s') ? 1 : 3;
}

function text(value: number | null, digits: number): string {
  const r = rounded(value, digits);
  return r === null ? '-' : r.toFixed(digits);
}

export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['name', 'dialect', 'unit', 'baseline', 'audited', 'ratio', 'target', 'ok?'];
  const measured = rows.filter((r) => !r.skipped);
  const cells = (r: BenchRow) => {
    const digits = digitsFor(r.unit);
    return [
      r.name,
      r.dialect,
      r.unit,
      text(r.baseline, digits),
      text(r.audited, digits),
      text(r.ratio, 3),
      r.target,
      verdict(r),
    ];
  };
  // Skipped rows print their reason in place of the numbers, so they do not widen those columns.
  const widths = header.map((title, i) =>
    Math.max(
      title.length,
      ...measured.map((r) => cells(r)[i].length),
      ...(i < 3 ? rows.map((r) => cells(r)[i].length) : []),
    ),
  );
  const padded = (values: string[]) =>
    values.map((value, i) => (i >= 3 && i <= 5 ? value.padStart(widths[i]) : value.padEnd(widths[i]))).join('  ');
  const line = (values: string[]) => padded(values).trimEnd();
  const lines = rows.map((r) =>
    r.skipped ? `${padded(cells(r).slice(0, 3))}  skipped: ${r.skipped}` : line(cells(r)),
  );
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines].join('\n');
}

export function resultsOf(rows: readonly BenchRow[], machine: Machine, date = new Date()): BenchResults {
  return {
    date: date.toISOString(),
    machine,
    rows: rows.map((r) => {
      const digits = digitsFor(r.unit);
      return {
        name: r.name,
        dialect: r.dialect,
        unit: r.unit,
        baseline: rounded(r.baseline, digits),
        audited: rounded(r.audited, digits),
        ratio: rounded(r.ratio, 3),
        target: r.target,
      };
    }),
  };
}

export function writeResults(path: string, results: BenchResults): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}
