import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DataSourceOptions, EntitySchema } from 'typeorm';
import { createServerDatabase, databaseUrl, dropServerDatabase, serverAnswers } from './bench-servers';

export type Dialect = 'postgres' | 'mariadb' | 'sqlite';

export const DIALECTS: readonly Dialect[] = ['postgres', 'mariadb', 'sqlite'];

/** A database created for one variant of one case, dropped when the case ends. */
export interface BenchDatabase {
  dialect: Dialect;
  options: DataSourceOptions;
  drop(): Promise<void>;
}

/** The server's version string, or undefined when it does not answer (SQLite is always there). */
export async function serverVersion(dialect: Dialect): Promise<string | undefined> {
  return dialect === 'sqlite' ? 'SQLite (better-sqlite3)' : serverAnswers(dialect);
}

/**
 * A fresh, empty database for one variant: `name` is unique per case and variant, and carries the
 * pid so that two runs on one server never share a database.
 */
export async function benchDatabase(
  dialect: Dialect,
  name: string,
  entities: Array<Function | EntitySchema>,
): Promise<BenchDatabase> {
  const database = `bench_${name}_${process.pid}`;
  const common = { entities, synchronize: true } as const;
  if (dialect === 'sqlite') {
    const file = join(mkdtempSync(join(tmpdir(), 'audit-bench-')), `${database}.sqlite`);
    return {
      dialect,
      options: { ...common, type: 'better-sqlite3', database: file },
      drop: async () => rmSync(dirname(file), { recursive: true, force: true }),
    };
  }
  await createServerDatabase(dialect, database);
  const url = databaseUrl(dialect, database);
  const options: DataSourceOptions =
    dialect === 'postgres'
      ? { ...common, type: 'postgres', url }
      : { ...common, type: 'mariadb', url, charset: 'utf8mb4' };
  return { dialect, options, drop: () => dropServerDatabase(dialect, database) };
}
