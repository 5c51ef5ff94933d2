import type { Dialect } from './bench-databases';
import type { BenchRow } from './report';

export interface BenchContext {
  quick: boolean;
  /** `--dialect`: run only this one. */
  dialect?: Dialect;
  /** Version string of each server that answered; missing when it did not. */
  servers: Partial<Record<Dialect, string>>;
  log(message: string): void;
}

/** Where a case runs: every dialect asked for, or why one is left out. */
export interface DialectPlan {
  dialect: Dialect;
  skip?: string;
}

export interface BenchCase {
  /** What `--only` matches. */
  name: string;
  title: string;
  /** Dialects it runs on by default; `--dialect` narrows or, for single-dialect cases, replaces them. */
  dialects: readonly Dialect[];
  /** Cases that need one dialect's SQL (seeding with generate_series) cannot move to another. */
  fixedDialect?: boolean;
  /** Rows for one dialect; it may throw, and the rows it promised are then reported as skipped. */
  run(context: BenchContext, dialect: Dialect): Promise<BenchRow[]>;
  /** The rows `run` would return, with the reason they have no numbers. */
  skipped(context: BenchContext, dialect: Dialect, reason: string): BenchRow[];
}

export function dialectPlan(benchCase: BenchCase, context: BenchContext): DialectPlan[] {
  let dialects: readonly Dialect[] = benchCase.dialects;
  if (context.dialect) {
    if (benchCase.dialects.includes(context.dialect)) dialects = [context.dialect];
    else if (benchCase.fixedDialect) {
      return benchCase.dialects.map((dialect) => ({
        dialect,
        skip: `runs on ${dialect} only (--dialect ${context.dialect})`,
      }));
    } else dialects = [context.dialect];
  }
  return dialects.map((dialect) =>
    context.servers[dialect] ? { dialect } : { dialect, skip: `no ${dialect} server answered` },
  );
}
