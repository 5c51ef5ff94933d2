import type { DataSourceOptions } from 'typeorm';

/** Where a gateway lives and the credential the shop presents to it. */
export interface GatewayConfig {
  /** Base URL without a trailing slash, e.g. `https://sandbox.bca.co.id`. */
  url: string;
  /** The full `Authorization` header value. */
  authorization: string;
}

export interface ShopConfig {
  /** TypeORM connection options, without entities (the shop adds its own). */
  database: DataSourceOptions;
  /** Further connection attempts, 3 s apart, when the database does not answer at start-up. Default 9. */
  databaseRetries?: number;
  /** The payment gateway, and the merchant account that receives the transfers. */
  bca: GatewayConfig & { accountNumber: string };
  /** The shipping provider. */
  jne: GatewayConfig;
  /** How long checkout waits for a gateway before treating the call as failed. */
  gatewayTimeoutMs: number;
}

/** Raised for a bad environment variable; the message names it and says what is accepted. */
export class ShopConfigError extends Error {
  constructor(variable: string, rule: string) {
    super(`${variable} ${rule}`);
    this.name = 'ShopConfigError';
  }
}

const DATABASE_TYPES: Record<string, 'postgres' | 'mysql' | 'mariadb'> = {
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
  'mysql:': 'mysql',
  'mariadb:': 'mariadb',
};

/**
 * TypeORM options for `DATABASE_URL` (postgres://, postgresql://, mysql:// or mariadb://), or an
 * embedded SQLite file when it is unset.
 */
export function databaseOptions(databaseUrl: string | undefined, sqliteFile: string): DataSourceOptions {
  if (databaseUrl === undefined || databaseUrl.trim() === '') {
    return { type: 'better-sqlite3', database: sqliteFile };
  }
  const rule = 'must be a postgres://, postgresql://, mysql:// or mariadb:// URL';
  let url: URL;
  try {
    url = new URL(databaseUrl.trim());
  } catch {
    // The value is not echoed: a connection URL usually carries a password.
    throw new ShopConfigError('DATABASE_URL', `${rule} (it does not parse as a URL)`);
  }
  const type = DATABASE_TYPES[url.protocol];
  if (!type) throw new ShopConfigError('DATABASE_URL', `${rule} (got ${url.protocol}//...)`);
  if (type === 'postgres') return { type, url: url.toString() };
  // TypeORM's URL parser only knows the mysql scheme; mariadb:// is the same wire protocol.
  url.protocol = 'mysql:';
  return { type, url: url.toString(), charset: 'utf8mb4' };
}

/** A gateway base URL from the environment: http(s), no query, no trailing slash. */
export function gatewayUrl(variable: string, value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value.trim());
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new ShopConfigError(variable, `must be an http:// or https:// base URL (got ${JSON.stringify(value)})`);
  }
  return url.toString().replace(/\/+$/, '');
}

/** A TCP port from the environment; 0 asks the system for a free one. */
export function portFrom(variable: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ShopConfigError(variable, `must be a port number from 0 to 65535 (got ${JSON.stringify(value)})`);
  }
  return port;
}

export interface ShopDefaults {
  /** Used when BCA_URL is unset: the sandbox's address. */
  bcaUrl?: string;
  /** Used when JNE_URL is unset: the sandbox's address. */
  jneUrl?: string;
  /** Used when DATABASE_URL is unset. */
  sqliteFile: string;
}

/**
 * The shop's configuration from environment variables: DATABASE_URL, BCA_URL, BCA_API_KEY,
 * BCA_ACCOUNT_NUMBER, JNE_URL, JNE_USERNAME, JNE_API_KEY, GATEWAY_TIMEOUT_MS. The credentials default
 * to the sandbox's, which accepts any.
 */
export function shopConfigFromEnv(env: NodeJS.ProcessEnv, defaults: ShopDefaults): ShopConfig {
  const bcaUrl = env.BCA_URL || defaults.bcaUrl;
  const jneUrl = env.JNE_URL || defaults.jneUrl;
  if (!bcaUrl) throw new ShopConfigError('BCA_URL', 'must be set when the gateway sandbox is not started');
  if (!jneUrl) throw new ShopConfigError('JNE_URL', 'must be set when the gateway sandbox is not started');
  const jneCredential = `${env.JNE_USERNAME || 'tokocontoh'}:${env.JNE_API_KEY || 'sandbox-jne-key'}`;
  const timeout = Number(env.GATEWAY_TIMEOUT_MS || 10_000);
  if (!Number.isInteger(timeout) || timeout <= 0) {
    throw new ShopConfigError(
      'GATEWAY_TIMEOUT_MS',
      `must be a positive whole number of milliseconds (got ${JSON.stringify(env.GATEWAY_TIMEOUT_MS)})`,
    );
  }
  return {
    database: databaseOptions(env.DATABASE_URL, defaults.sqliteFile),
    bca: {
      url: gatewayUrl('BCA_URL', bcaUrl),
      authorization: `Bearer ${env.BCA_API_KEY || 'sandbox-bca-key'}`,
      accountNumber: env.BCA_ACCOUNT_NUMBER || '0611104625',
    },
    jne: {
      url: gatewayUrl('JNE_URL', jneUrl),
      authorization: `Basic ${Buffer.from(jneCredential).toString('base64')}`,
    },
    gatewayTimeoutMs: timeout,
  };
}
