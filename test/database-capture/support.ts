import mysql from 'mysql2/promise';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { AuditModuleOptions } from 'nestjs-audit-trail';

/** Module options for database capture, with the given data-trail options on top. */
export function databaseCapture(dataAudit: NonNullable<AuditModuleOptions['dataAudit']> = {}): AuditModuleOptions {
  return { dataAudit: { enabled: true, capture: 'database', ...dataAudit } } as AuditModuleOptions;
}

/** A second connection to the same database, outside TypeORM and the module: another service, or psql. */
export interface OtherClient {
  query(sql: string): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

interface SqliteStatement {
  reader: boolean;
  all(): unknown[];
  run(): unknown;
}

interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  close(): void;
}

// better-sqlite3 ships no type declarations here; this is the part of its API these tests use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as new (file: string) => SqliteDatabase;

export async function otherClient(dataSource: DataSource): Promise<OtherClient> {
  const options = dataSource.options as { type: string; url?: string; database?: string };
  if (options.type === 'postgres') {
    const client = new Client({ connectionString: options.url });
    await client.connect();
    return { query: async (sql) => (await client.query(sql)).rows, close: () => client.end() };
  }
  if (options.type === 'mariadb' || options.type === 'mysql') {
    const connection = await mysql.createConnection({ uri: options.url });
    return {
      query: async (sql) => {
        const [rows] = await connection.query(sql);
        return Array.isArray(rows) ? (rows as Array<Record<string, unknown>>) : [];
      },
      close: () => connection.end(),
    };
  }
  const database = new Database(options.database as string);
  return {
    query: async (sql) => {
      const statement = database.prepare(sql);
      if (statement.reader) return statement.all() as Array<Record<string, unknown>>;
      statement.run();
      return [];
    },
    close: async () => {
      database.close();
    },
  };
}

export const count = async (dataSource: DataSource, table: string, where = ''): Promise<number> => {
  const rows = await dataSource.query(`SELECT COUNT(*) AS n FROM ${table}${where ? ` WHERE ${where}` : ''}`);
  return Number(rows[0].n);
};
