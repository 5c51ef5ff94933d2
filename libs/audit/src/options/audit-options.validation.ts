import type {
  ApiAuditOptions,
  AuditModuleOptions,
  AuditOnError,
  DataAuditOptions,
  DataCaptureMode,
  RawSqlPolicy,
  ResolvedAuditOptions,
  RetentionOptions,
  TransactionOptions,
} from './audit-options';

/** Table names are plain SQL identifiers, never quoted user input (docs/behaviour.md, "Options"). */
export const TABLE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const MAX_AGE_PATTERN = /^(\d+)(d|h|m|s)$/;
const MAX_AGE_UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;
const ON_ERROR: readonly AuditOnError[] = ['fail-loud', 'fail-silent'];
const CAPTURE: readonly DataCaptureMode[] = ['orm', 'database'];
const RAW_SQL: readonly RawSqlPolicy[] = ['warn', 'error', 'ignore'];
// 1,000 years: the cut-off `now - maxAge` stays a valid Date, inside every dialect's time range.
const MAX_AGE_LIMIT_MS = 365_000 * MAX_AGE_UNIT_MS.d;

/**
 * Every option key, one list per group: a key not listed is refused at start-up, naming the closest
 * known one, because a typo (`excludeField`) or an option from another version would otherwise be
 * ignored in silence. A new option is added here, in its group, and nowhere else; the type checks
 * below fail until the lists and the option interfaces name the same keys.
 */
export const OPTION_KEYS = {
  options: [
    'dataAudit',
    'apiAudit',
    'transaction',
    'retention',
    'userResolver',
    'autoMigrate',
    'dataSource',
    'isGlobal',
  ],
  dataAudit: ['enabled', 'table', 'excludeFields', 'excludeEntities', 'skipOldValues', 'onError', 'capture', 'rawSql'],
  apiAudit: [
    'enabled',
    'table',
    'redactHeaders',
    'redactBodyFields',
    'maxBodySize',
    'onError',
    'services',
    'skipHosts',
    'skipPaths',
    'fetch',
    'propagateHeader',
    'defaultRedaction',
    'writeAhead',
  ],
  transaction: ['header', 'mount', 'recordIp', 'recordUserAgent', 'requestIdHeaders'],
  retention: ['enabled', 'maxAge', 'cron', 'timeZone', 'batchSize'],
} as const satisfies {
  options: ReadonlyArray<keyof AuditModuleOptions>;
  dataAudit: ReadonlyArray<keyof DataAuditOptions>;
  apiAudit: ReadonlyArray<keyof ApiAuditOptions>;
  transaction: ReadonlyArray<keyof TransactionOptions>;
  retention: ReadonlyArray<keyof RetentionOptions>;
};

// Compile-time: an option declared in an interface but missing from its list above is an error here.
type Unlisted<T, K extends keyof typeof OPTION_KEYS> = Exclude<keyof T, (typeof OPTION_KEYS)[K][number]>;
type AllListed<T> = [T] extends [never] ? true : T;
const everyOptionListed: [
  AllListed<Unlisted<AuditModuleOptions, 'options'>>,
  AllListed<Unlisted<DataAuditOptions, 'dataAudit'>>,
  AllListed<Unlisted<ApiAuditOptions, 'apiAudit'>>,
  AllListed<Unlisted<TransactionOptions, 'transaction'>>,
  AllListed<Unlisted<RetentionOptions, 'retention'>>,
] = [true, true, true, true, true];
void everyOptionListed;

/** Raised at start-up for a bad option; the message names the option and the rule. */
export class AuditOptionsError extends Error {
  constructor(option: string, rule: string, value: unknown) {
    super(`nestjs-audit-trail: option ${option} ${rule} (got ${describe(value)})`);
    this.name = 'AuditOptionsError';
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return isAsyncFunction(value) ? 'an async function' : 'a function';
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

/** Refuses a key of `group` that is not in its OPTION_KEYS list, naming the closest known key. */
function knownKeysAt(group: keyof typeof OPTION_KEYS, value: Record<string, unknown>): void {
  const known: readonly string[] = OPTION_KEYS[group];
  const prefix = group === 'options' ? '' : `${group}.`;
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const closest = closestKey(key, known);
    throw new AuditOptionsError(`${prefix}${key}`, `is unknown (did you mean ${prefix}${closest}?)`, value[key]);
  }
}

/** The known key nearest to `key` by edit distance, ignoring case (ties: the first listed). */
export function closestKey(key: string, known: readonly string[]): string {
  let best = known[0];
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** Levenshtein distance: insertions, deletions and substitutions, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

function oneOfAt<T extends string>(option: string, value: unknown, allowed: readonly T[]): T {
  if (value === undefined) return allowed[0];
  if (!allowed.includes(value as T)) throw new AuditOptionsError(option, `must be one of ${allowed.join(', ')}`, value);
  return value as T;
}

function headersAt(option: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || !HEADER_NAME_PATTERN.test(item))) {
    throw new AuditOptionsError(option, 'must be an array of HTTP header names', value);
  }
  return [...value];
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
  const ms = amount * MAX_AGE_UNIT_MS[match[2] as keyof typeof MAX_AGE_UNIT_MS];
  // Larger, `new Date(Date.now() - ms)` drifts out of what a database column holds, then out of
  // what a Date holds at all ("Invalid Date" at every purge): refused here, not at 3 a.m.
  if (!(ms <= MAX_AGE_LIMIT_MS)) throw new AuditOptionsError(option, 'must be at most 365000d (1,000 years)', value);
  return ms;
}

/**
 * Validates what the user gave once, at start-up, into a fully defaulted object that the rest of
 * the module trusts. Nothing is half-configured: the first bad option stops the application.
 */
export function resolveAuditOptions(input: AuditModuleOptions | undefined | null): ResolvedAuditOptions {
  const root = objectAt('options', input ?? {});
  knownKeysAt('options', root);
  const data = objectAt('dataAudit', root.dataAudit);
  const api = objectAt('apiAudit', root.apiAudit);
  const transaction = objectAt('transaction', root.transaction);
  const retention = objectAt('retention', root.retention);
  knownKeysAt('dataAudit', data);
  knownKeysAt('apiAudit', api);
  knownKeysAt('transaction', transaction);
  knownKeysAt('retention', retention);

  const dataEnabled = booleanAt('dataAudit.enabled', data.enabled, false);
  const apiEnabled = booleanAt('apiAudit.enabled', api.enabled, false);
  if (!dataEnabled && !apiEnabled) {
    throw new AuditOptionsError('dataAudit.enabled / apiAudit.enabled', 'must enable at least one trail', {
      dataAudit: data.enabled ?? false,
      apiAudit: api.enabled ?? false,
    });
  }

  // Database capture's triggers write each row inside the statement that made the change: they can
  // neither let the change through without its row nor leave the old values out. Said at start-up
  // rather than ignored.
  if (data.capture === 'database') {
    if (data.onError === 'fail-silent') {
      throw new AuditOptionsError(
        'dataAudit.onError',
        "cannot be 'fail-silent' with dataAudit.capture 'database': the triggers write the row in the statement that makes the change, so a row that cannot be written fails that statement ('fail-loud', the default, says so)",
        data.onError,
      );
    }
    if (data.skipOldValues === true) {
      throw new AuditOptionsError(
        'dataAudit.skipOldValues',
        "cannot be true with dataAudit.capture 'database': the triggers always record the old values",
        data.skipOldValues,
      );
    }
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
  // A row is stamped synchronously, inside the business write: a Promise would be no user at all.
  if (isAsyncFunction(root.userResolver)) {
    throw new AuditOptionsError(
      'userResolver',
      'must return { id, type } synchronously, not a Promise',
      root.userResolver,
    );
  }
  booleanAt('isGlobal', root.isGlobal, true);
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
      capture: oneOfAt('dataAudit.capture', data.capture, CAPTURE),
      rawSql: oneOfAt('dataAudit.rawSql', data.rawSql, RAW_SQL),
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
      defaultRedaction: booleanAt('apiAudit.defaultRedaction', api.defaultRedaction, true),
      writeAhead: Array.isArray(api.writeAhead)
        ? stringsAt('apiAudit.writeAhead', api.writeAhead)
        : booleanAt('apiAudit.writeAhead', api.writeAhead, false),
    },
    transaction: {
      header: headerAt('transaction.header', transaction.header, 'X-Transaction-Id'),
      mount: booleanAt('transaction.mount', transaction.mount, true),
      recordIp: booleanAt('transaction.recordIp', transaction.recordIp, false),
      recordUserAgent: booleanAt('transaction.recordUserAgent', transaction.recordUserAgent, false),
      requestIdHeaders: headersAt('transaction.requestIdHeaders', transaction.requestIdHeaders),
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

function isAsyncFunction(value: unknown): boolean {
  return typeof value === 'function' && Object.prototype.toString.call(value) === '[object AsyncFunction]';
}
