import mysql from 'mysql2/promise';
import { Client } from 'pg';

/**
 * The database servers the bench runs against. The same environment variables as the test suites
 * name them, so one setting serves both; the bench keeps its own copy of this small code so that it
 * builds and runs without the test folder.
 */
export const POSTGRES_URL = process.env.AUDIT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const MARIADB_URL = process.env.AUDIT_TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test';

export type ServerDialect = 'postgres' | 'mariadb';

/** The server's version string, or undefined when it does not answer within two seconds. */
export async function serverAnswers(dialect: ServerDialect): Promise<string | undefined> {
  try {
    if (dialect === 'postgres') {
      const client = new Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
      await client.connect();
      const { rows } = await client.query<{ version: string }>("SELECT current_setting('server_version') AS version");
      await client.end();
      return `PostgreSQL ${rows[0].version}`;
    }
    const connection = await mysql.createConnection({ uri: MARIADB_URL, connectTimeout: 2000 });
    const [rows] = await connection.query('SELECT VERSION() AS version');
    await connection.end();
    return `MariaDB/MySQL ${(rows as Array<{ version: string }>)[0].version}`;
  } catch {
    return undefined;
  }
}

/** Creates (or empties, by dropping first) a database of that name on the server. */
export async function createServerDatabase(dialect: ServerDialect, name: string): Promise<void> {
  await dropServerDatabase(dialect, name);
  if (dialect === 'postgres') {
    await onPostgres((client) => client.query(`CREATE DATABASE "${name}"`));
    return;
  }
  await onMariadb((connection) =>
    connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`),
  );
}

export async function dropServerDatabase(dialect: ServerDialect, name: string): Promise<void> {
  if (dialect === 'postgres') {
    await onPostgres((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    return;
  }
  await onMariadb((connection) => connection.query(`DROP DATABASE IF EXISTS \`${name}\``));
}

/** The server's URL with `database` in place of the maintenance database. */
export function databaseUrl(dialect: ServerDialect, database: string): string {
  const url = new URL(dialect === 'postgres' ? POSTGRES_URL : MARIADB_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onPostgres(work: (client: Client) => Promise<unknown>): Promise<void> {
  const client = new Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

async function onMariadb(work: (connection: mysql.Connection) => Promise<unknown>): Promise<void> {
  const connection = await mysql.createConnection({ uri: MARIADB_URL });
  try {
    await work(connection);
  } finally {
    await connection.end();
  }
}
