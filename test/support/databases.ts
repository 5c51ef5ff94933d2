import mysql from 'mysql2/promise';
import { Client } from 'pg';

export type TestDialect = 'sqlite' | 'postgres' | 'mariadb';

export const POSTGRES_URL = process.env.AUDIT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const MARIADB_URL = process.env.AUDIT_TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** Whether a server answers a trivial query within two seconds. */
export async function answers(dialect: Exclude<TestDialect, 'sqlite'>): Promise<string | undefined> {
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

/** A fresh, empty database of that name on the server (dropped first if it was left behind). */
export async function freshDatabase(dialect: Exclude<TestDialect, 'sqlite'>, name: string): Promise<void> {
  if (dialect === 'postgres') {
    const client = new Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
    await client.end();
    return;
  }
  const connection = await mysql.createConnection({ uri: MARIADB_URL });
  await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await connection.end();
}

export function serverUrl(dialect: Exclude<TestDialect, 'sqlite'>, database: string): string {
  const url = new URL(dialect === 'postgres' ? POSTGRES_URL : MARIADB_URL);
  url.pathname = `/${database}`;
  return url.toString();
}
