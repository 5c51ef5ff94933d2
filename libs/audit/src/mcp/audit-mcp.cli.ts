import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { AuditOptionsError } from '../options/audit-options.validation';
import { ApiLogStore } from '../store/api-log.store';
import { dialectFor } from '../store/audit-dialect';
import { DataLogStore } from '../store/data-log.store';
import { createAuditMcpServer } from './audit-mcp.server';
import { storeTrailReader } from './audit-trail-reader';

/** What `npx nestjs-audit-trail mcp` is told, by flags or by environment variables. */
export interface AuditMcpCliOptions {
  /** `postgres://…`, `mysql://…` / `mariadb://…`, or `sqlite:/path/to/file.db`. */
  databaseUrl: string;
  /** Default `audit_logs`; an empty string leaves the data trail out. */
  dataTable: string;
  /** Default `audit_api_logs`; an empty string leaves the API trail out. */
  apiTable: string;
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export const MCP_USAGE = `Usage: nestjs-audit-trail mcp --database-url <url> [--data-table audit_logs] [--api-table audit_api_logs]

Serves the audit trail's read-only MCP tools over stdio (query_data_logs, query_api_logs,
query_by_transaction, snapshot_entity, recent_changes).

  --database-url   postgres://user@host/db, mysql://user@host/db (MariaDB too), sqlite:/path/to/file.db
                   or the AUDIT_DATABASE_URL environment variable
  --data-table     data trail table (AUDIT_DATA_TABLE), default audit_logs
  --api-table      API trail table (AUDIT_API_TABLE), default audit_api_logs`;

/** Flags first, then environment variables, then defaults; refuses what it cannot use. */
export function parseMcpCliOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): AuditMcpCliOptions {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split(/=(.*)/s, 2);
    if (!name.startsWith('--'))
      throw new AuditOptionsError('mcp', `unexpected argument ${JSON.stringify(argv[i])}`, argv[i]);
    flags.set(name.slice(2), inline ?? argv[++i] ?? '');
  }
  for (const name of flags.keys()) {
    if (!['database-url', 'data-table', 'api-table'].includes(name)) {
      throw new AuditOptionsError(`--${name}`, 'is not an option of the mcp command', name);
    }
  }
  const options = {
    databaseUrl: flags.get('database-url') ?? env.AUDIT_DATABASE_URL ?? '',
    dataTable: flags.get('data-table') ?? env.AUDIT_DATA_TABLE ?? 'audit_logs',
    apiTable: flags.get('api-table') ?? env.AUDIT_API_TABLE ?? 'audit_api_logs',
  };
  if (!options.databaseUrl) throw new AuditOptionsError('--database-url', 'is required (or AUDIT_DATABASE_URL)', '');
  for (const [flag, table] of [
    ['--data-table', options.dataTable],
    ['--api-table', options.apiTable],
  ]) {
    if (table !== '' && !TABLE_NAME.test(table)) {
      throw new AuditOptionsError(flag, 'must match ^[A-Za-z_][A-Za-z0-9_]{0,62}$', table);
    }
  }
  return options;
}

/**
 * TypeORM options for the URL, read-only where the driver can say so: SQLite opens the file
 * read-only and PostgreSQL sessions default to read-only transactions. (The tools only ever SELECT.)
 */
export function dataSourceOptionsFor(databaseUrl: string): DataSourceOptions {
  const scheme = databaseUrl.slice(0, databaseUrl.indexOf(':')).toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    return { type: 'postgres', url: databaseUrl, extra: { options: '-c default_transaction_read_only=on' } };
  }
  if (scheme === 'mysql' || scheme === 'mariadb') {
    return { type: 'mysql', url: databaseUrl.replace(/^mariadb:/i, 'mysql:'), charset: 'utf8mb4' };
  }
  if (scheme === 'sqlite' || scheme === 'file') {
    const path = decodeURIComponent(databaseUrl.replace(/^(sqlite|file):(\/\/)?/i, ''));
    return { type: 'better-sqlite3', database: path, readonly: true };
  }
  throw new AuditOptionsError(
    '--database-url',
    'must start with postgres://, mysql://, mariadb:// or sqlite:',
    databaseUrl,
  );
}

/** Opens the database and serves the tools on stdin/stdout until the client goes away. */
export async function runAuditMcpServer(options: AuditMcpCliOptions): Promise<() => Promise<void>> {
  const dataSource = new DataSource({ ...dataSourceOptionsFor(options.databaseUrl), logging: false });
  await dataSource.initialize();
  const dialect = dialectFor(dataSource.options.type);
  const reader = storeTrailReader(
    dataSource,
    options.dataTable ? new DataLogStore(dialect, options.dataTable) : undefined,
    options.apiTable ? new ApiLogStore(dialect, options.apiTable) : undefined,
  );
  const server = createAuditMcpServer(reader);
  const transport = new StdioServerTransport();
  const close = async () => {
    await server.close();
    if (dataSource.isInitialized) await dataSource.destroy();
  };
  transport.onclose = () => void close();
  await server.connect(transport);
  return close;
}

/** `nestjs-audit-trail <command> …`: the package's command line. Only `mcp` exists. */
export async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command !== 'mcp' || rest.includes('--help')) {
    process.stderr.write(`${MCP_USAGE}\n`);
    process.exitCode = command === 'mcp' || command === '--help' ? 0 : 2;
    return;
  }
  try {
    await runAuditMcpServer(parseMcpCliOptions(rest));
  } catch (error) {
    // stdout belongs to the protocol; everything else goes to stderr.
    process.stderr.write(`nestjs-audit-trail mcp: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
