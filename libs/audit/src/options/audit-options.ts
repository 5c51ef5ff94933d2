import type { FactoryProvider, ModuleMetadata, Type } from '@nestjs/common';

/** What happens when an audit row cannot be written: the error reaches the caller, or it is logged. */
export type AuditOnError = 'fail-loud' | 'fail-silent';

export interface AuditUser {
  id: string;
  type: string;
}

/** What a user resolver sees: the HTTP request in scope, if any (Express or Fastify request). */
export interface AuditUserContext {
  request?: unknown;
}

export type AuditUserResolver = (context: AuditUserContext) => AuditUser | undefined | null;

export interface DataAuditOptions {
  enabled?: boolean;
  /** Default `audit_logs`. */
  table?: string;
  /** Column (or property) names dropped from old and new values, exact and case-sensitive. */
  excludeFields?: string[];
  /** Table names (or entity class names) that get no row at all. */
  excludeEntities?: string[];
  /** Skip the pre-image read of bulk update/delete; `old_values` stays empty. */
  skipOldValues?: boolean;
  onError?: AuditOnError;
  /** Where changes are captured: TypeORM's calls (`'orm'`, default) or the database itself (`'database'`). */
  capture?: DataCaptureMode;
  /** What a write the trail cannot see (raw SQL on an audited table) does: `'warn'` (default), `'error'`, `'ignore'`. */
  rawSql?: RawSqlPolicy;
}

export type DataCaptureMode = 'orm' | 'database';
export type RawSqlPolicy = 'warn' | 'error' | 'ignore';

export interface ApiAuditOptions {
  enabled?: boolean;
  /** Default `audit_api_logs`. */
  table?: string;
  /** Header names whose value is replaced by `***REDACTED***`, case-insensitive. */
  redactHeaders?: string[];
  /** Body keys whose value is replaced by `***REDACTED***`, case-insensitive, at any depth. */
  redactBodyFields?: string[];
  /** Bytes of JSON a body may take before it is stored as a truncation marker. 0: 4096; negative: never. */
  maxBodySize?: number;
  onError?: AuditOnError;
  /** Maps a host (`api.bca.co.id`) or base URL (`http://127.0.0.1:4010`) to a service name. */
  services?: Record<string, string>;
  /** Calls to these hosts, or whose path starts with one of these paths, are not recorded. */
  skipHosts?: string[];
  skipPaths?: string[];
  /** Record calls made with Node's global `fetch` too. Default true. */
  fetch?: boolean;
  /** Header that carries the transaction ID to the called service; `false` sends none. */
  propagateHeader?: string | false;
  /**
   * Redact credentials and secrets by default (Authorization, Cookie, `*-Api-Key`, `*-Token`
   * headers; password, token, secret, card-number style body keys), besides the lists above.
   * Default true; `false` redacts only what the lists name.
   */
  defaultRedaction?: boolean;
  /**
   * Calls whose pending row is written BEFORE they are sent, then completed: they leave a row even
   * if the process dies meanwhile. `true`: every call; a list: calls to these service names.
   * Default false (rows are queued after the call, off its path).
   */
  writeAhead?: boolean | string[];
}

export interface TransactionOptions {
  /** Request and response header that carries the transaction ID. Default `X-Transaction-Id`. */
  header?: string;
  /** Mount the middleware that opens a scope for every HTTP request. Default true. */
  mount?: boolean;
  /** Add the client IP to each row's metadata (personal data: opt-in). */
  recordIp?: boolean;
  /** Add the User-Agent to each row's metadata (personal data: opt-in). */
  recordUserAgent?: boolean;
  /**
   * Headers whose value is taken as the incoming transaction ID when `header` is absent (`X-Request-Id`),
   * first present one wins. Default none.
   */
  requestIdHeaders?: string[];
}

/**
 * The retention job (module/audit-retention.job.ts). It needs `@nestjs/schedule` installed and
 * `ScheduleModule.forRoot()` imported by the application; start-up fails saying so otherwise.
 */
export interface RetentionOptions {
  /** Default: true when `retention` is given at all. */
  enabled?: boolean;
  /** How long rows are kept: `<n>d`, `<n>h`, `<n>m` or `<n>s`. Default `365d`. */
  maxAge?: string;
  /** Cron expression of the purge job. Default `0 3 * * *`. */
  cron?: string;
  /** IANA zone the cron expression is read in (`Asia/Jakarta`). Default: the server's. */
  timeZone?: string;
  /** Rows deleted per statement. Default 1000. */
  batchSize?: number;
}

export interface AuditModuleOptions {
  dataAudit?: DataAuditOptions;
  apiAudit?: ApiAuditOptions;
  transaction?: TransactionOptions;
  retention?: RetentionOptions;
  userResolver?: AuditUserResolver;
  /** Create the tables at start-up if they are missing. Default true. */
  autoMigrate?: boolean;
  /** Name of the TypeORM DataSource to audit, as given to `TypeOrmModule.forRoot({ name })`. Default: the default one. */
  dataSource?: string;
  /** Register the module globally. Default true. */
  isGlobal?: boolean;
}

/** A provider that builds the options, for `forRootAsync({ useClass })` or `forRootAsync({ useExisting })`. */
export interface AuditOptionsFactory {
  createAuditOptions(): AuditModuleOptions | Promise<AuditModuleOptions>;
}

/**
 * `AuditModule.forRootAsync`: the options come from exactly one of `useFactory` (with `inject`),
 * `useClass` (a provider the module creates) or `useExisting` (a provider an imported module exports).
 */
export interface AuditModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory?: (...args: any[]) => AuditModuleOptions | Promise<AuditModuleOptions>;
  /** What `useFactory` receives, in order. */
  inject?: FactoryProvider['inject'];
  useClass?: Type<AuditOptionsFactory>;
  useExisting?: Type<AuditOptionsFactory>;
  /**
   * Name of the audited TypeORM DataSource, given here as well as in the options: the module has to
   * know which DataSource to wait for before the factory runs. Default: the default one.
   */
  dataSource?: string;
  /** Register the module globally. Default true. */
  isGlobal?: boolean;
}

export interface ResolvedDataAuditOptions {
  enabled: boolean;
  table: string;
  excludeFields: ReadonlySet<string>;
  excludeEntities: ReadonlySet<string>;
  skipOldValues: boolean;
  onError: AuditOnError;
  capture: DataCaptureMode;
  rawSql: RawSqlPolicy;
}

export interface ResolvedApiAuditOptions {
  enabled: boolean;
  table: string;
  redactHeaders: readonly string[];
  redactBodyFields: readonly string[];
  maxBodySize: number;
  onError: AuditOnError;
  services: Readonly<Record<string, string>>;
  skipHosts: readonly string[];
  skipPaths: readonly string[];
  fetch: boolean;
  propagateHeader: string | false;
  defaultRedaction: boolean;
  writeAhead: boolean | readonly string[];
}

export interface ResolvedTransactionOptions {
  header: string;
  mount: boolean;
  recordIp: boolean;
  recordUserAgent: boolean;
  requestIdHeaders: readonly string[];
}

export interface ResolvedRetentionOptions {
  enabled: boolean;
  maxAge: string;
  maxAgeMs: number;
  cron: string;
  timeZone?: string;
  batchSize: number;
}

/** The options after validation: every field set, trusted by the rest of the code. */
export interface ResolvedAuditOptions {
  dataAudit: ResolvedDataAuditOptions;
  apiAudit: ResolvedApiAuditOptions;
  transaction: ResolvedTransactionOptions;
  retention: ResolvedRetentionOptions;
  userResolver?: AuditUserResolver;
  autoMigrate: boolean;
  dataSource?: string;
}
