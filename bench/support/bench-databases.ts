import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import mysql from 'mysql2/promise';
import { Client } from 'pg';
import type { DataSourceOptions, EntitySchema } from 'typeorm';
import {
  MARIADB_URL,
  POSTGRES_URL,
  type TestDialect,
  answers,
  freshDatabase,
  serverUrl,
} from '../../test/support/databases';

export type Dialect = TestDialect;

export const DIALECTS: readonly Dialect[] = ['postgres', 'mariadb', 'sqlite'];

/** A database created for one variant of one case, dropped when the case ends. */
export interface BenchDatabase {
  dialect: Dialect;
  options: DataSourceOptions;
  drop(): Promise<void>;
}

/** The server's version string, or undefined when it does not answer (SQLite is always there). */
export async function serverVersion(dialect: Dialect): Promise<string | undefined> {
  return dialect === 'sqlite' ? 'SQLite (better-sqlite3)' : answers(dialect);
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
  await freshDatabase(dialect, database);
  const url = serverUrl(dialect, database);
  const options: DataSourceOptions =
    dialect === 'postgres'
      ? { ...common, type: 'postgres', url }
      : { ...common, type: 'mariadb', url, charset: 'utf8mb4' };
  return { dialect, options, drop: () => dropServerDatabase(dialect, database) };
}

async function dropServerDatabase(dialect: Exclude<Dialect, 'sqlite'>, database: string): Promise<void> {
  if (dialect === 'postgres') {
    const client = new Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await client.end();
    return;
  }
  const connection = await mysql.createConnection({ uri: MARIADB_URL });
  await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await connection.end();
}
