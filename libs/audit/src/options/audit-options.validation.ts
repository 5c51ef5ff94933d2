import type { AuditModuleOptions, AuditOnError, ResolvedAuditOptions } from './audit-options';

/** SPEC.md "Options and validation": table names are plain SQL identifiers, never quoted user input. */
export const TABLE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const MAX_AGE_PATTERN = /^(\d+)(d|h|m|s)$/;
const MAX_AGE_UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;
const ON_ERROR: readonly AuditOnError[] = ['fail-loud', 'fail-silent'];

/** Raised at start-up for a bad option; the message names the option and the rule. */
export class AuditOptionsError extends Error {
  constructor(option: string, rule: string, value: unknown) {
    super(`nestjs-audit-trail: option ${option} ${rule} (got ${describe(value)})`);
    this.name = 'AuditOptionsError';
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function objectAt(option: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AuditOptionsError(option, 'must be an object', value);
  }
  return value as Record<string, unknown>;
}

function booleanAt(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new AuditOptionsError(option, 'must be true or false', value);
  return value;
}

function stringsAt(option: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '')) {
    throw new AuditOptionsError(option, 'must be an array of non-empty strings', value);
  }
  return [...value];
}

function tableAt(option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !TABLE_NAME_PATTERN.test(value)) {
    throw new AuditOptionsError(option, `must match ${TABLE_NAME_PATTERN.source}`, value);
  }
  return value;
}

function onErrorAt(option: string, value: unknown): AuditOnError {
  if (value === undefined) return 'fail-loud';
  if (!ON_ERROR.includes(value as AuditOnError)) {
    throw new AuditOptionsError(option, `must be one of ${ON_ERROR.join(', ')}`, value);
  }
  return value as AuditOnError;
}

function headerAt(option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !HEADER_NAME_PATTERN.test(value)) {
    throw new AuditOptionsError(option, 'must be an HTTP header name', value);
  }
  return value;
}

function integerAt(option: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new AuditOptionsError(option, `must be an integer >= ${min}`, value);
  }
  return value;
}

/** Parses a retention age such as `365d` into milliseconds. */
export function parseMaxAge(option: string, value: string): number {
  const match = MAX_AGE_PATTERN.exec(value);
  const amount = match ? Number(match[1]) : 0;
  if (!match || amount <= 0) {
    throw new AuditOptionsError(option, 'must be a positive duration such as 365d, 12h, 30m or 45s', value);
  }
  return amount * MAX_AGE_UNIT_MS[match[2] as keyof typeof MAX_AGE_UNIT_MS];
}

/**
 * Validates what the user gave once, at start-up, into a fully defaulted object that the rest of
 * the module trusts. Nothing is half-configured: the first bad option stops the application.
 */
export function resolveAuditOptions(input: AuditModuleOptions | undefined | null): ResolvedAuditOptions {
  const root = objectAt('options', input ?? {});
  const data = objectAt('dataAudit', root.dataAudit);
  const api = objectAt('apiAudit', root.apiAudit);
  const transaction = objectAt('transaction', root.transaction);
  const retention = objectAt('retention', root.retention);

  const dataEnabled = booleanAt('dataAudit.enabled', data.enabled, false);
  const apiEnabled = booleanAt('apiAudit.enabled', api.enabled, false);
  if (!dataEnabled && !apiEnabled) {
    throw new AuditOptionsError('dataAudit.enabled / apiAudit.enabled', 'must enable at least one trail', {
      dataAudit: data.enabled ?? false,
      apiAudit: api.enabled ?? false,
    });
  }

  const dataTable = tableAt('dataAudit.table', data.table, 'audit_logs');
  const apiTable = tableAt('apiAudit.table', api.table, 'audit_api_logs');
  if (dataEnabled && apiEnabled && dataTable.toLowerCase() === apiTable.toLowerCase()) {
    throw new AuditOptionsError('apiAudit.table', 'must differ from dataAudit.table', apiTable);
  }

  const services = objectAt('apiAudit.services', api.services);
  for (const [key, name] of Object.entries(services)) {
    if (typeof name !== 'string' || name === '' || name.length > 100) {
      throw new AuditOptionsError(`apiAudit.services["${key}"]`, 'must be a service name of 1 to 100 characters', name);
    }
  }
  const propagate = api.propagateHeader;
  const propagateHeader =
    propagate === false ? false : headerAt('apiAudit.propagateHeader', propagate, 'X-Transaction-Id');

  if (root.userResolver !== undefined && typeof root.userResolver !== 'function') {
    throw new AuditOptionsError('userResolver', 'must be a function returning { id, type }', root.userResolver);
  }
  if (root.dataSource !== undefined && (typeof root.dataSource !== 'string' || root.dataSource === '')) {
    throw new AuditOptionsError('dataSource', 'must be the name of a TypeORM DataSource', root.dataSource);
  }

  const maxAge = retention.maxAge === undefined ? '365d' : String(retention.maxAge);
  const cron = retention.cron === undefined ? '0 3 * * *' : retention.cron;
  if (typeof cron !== 'string' || cron.trim().split(/\s+/).length < 5) {
    throw new AuditOptionsError('retention.cron', 'must be a cron expression of 5 or 6 fields', cron);
  }
  if (retention.timeZone !== undefined && typeof retention.timeZone !== 'string') {
    throw new AuditOptionsError('retention.timeZone', 'must be an IANA time zone name', retention.timeZone);
  }

  return {
    dataAudit: {
      enabled: dataEnabled,
      table: dataTable,
      excludeFields: new Set(stringsAt('dataAudit.excludeFields', data.excludeFields)),
      excludeEntities: new Set(stringsAt('dataAudit.excludeEntities', data.excludeEntities)),
      skipOldValues: booleanAt('dataAudit.skipOldValues', data.skipOldValues, false),
      onError: onErrorAt('dataAudit.onError', data.onError),
    },
    apiAudit: {
      enabled: apiEnabled,
      table: apiTable,
      redactHeaders: stringsAt('apiAudit.redactHeaders', api.redactHeaders),
      redactBodyFields: stringsAt('apiAudit.redactBodyFields', api.redactBodyFields),
      maxBodySize: integerAt('apiAudit.maxBodySize', api.maxBodySize, 4096, Number.MIN_SAFE_INTEGER),
      onError: onErrorAt('apiAudit.onError', api.onError),
      services: services as Record<string, string>,
      skipHosts: stringsAt('apiAudit.skipHosts', api.skipHosts),
      skipPaths: stringsAt('apiAudit.skipPaths', api.skipPaths),
      fetch: booleanAt('apiAudit.fetch', api.fetch, true),
      propagateHeader,
    },
    transaction: {
      header: headerAt('transaction.header', transaction.header, 'X-Transaction-Id'),
      mount: booleanAt('transaction.mount', transaction.mount, true),
      recordIp: booleanAt('transaction.recordIp', transaction.recordIp, false),
      recordUserAgent: booleanAt('transaction.recordUserAgent', transaction.recordUserAgent, false),
    },
    retention: {
      enabled: booleanAt('retention.enabled', retention.enabled, root.retention !== undefined),
      maxAge,
      maxAgeMs: parseMaxAge('retention.maxAge', maxAge),
      cron,
      timeZone: retention.timeZone as string | undefined,
      batchSize: integerAt('retention.batchSize', retention.batchSize, 1000, 1),
    },
    userResolver: root.userResolver as ResolvedAuditOptions['userResolver'],
    autoMigrate: booleanAt('autoMigrate', root.autoMigrate, true),
    dataSource: root.dataSource as string | undefined,
  };
}
