import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import type { ResolvedAuditOptions } from '../../options/audit-options';
import { type AuditDialect, dialectFor } from '../audit-dialect';
import { type SqlExecutor, rowsOf } from '../sql-executor';
import { mariadbTriggers } from './mariadb';
import { postgresTriggers } from './postgres';
import { sqliteTriggers } from './sqlite';
import type { InstalledTriggers, TriggerDialect } from './trigger-dialect';
import { type TableTriggerSpec, type TriggerOptions, specFromText, triggerSpecsFor } from './trigger-spec';

const TRIGGERS: Record<AuditDialect['name'], TriggerDialect> = {
  postgres: postgresTriggers,
  mysql: mariadbTriggers,
  sqlite: sqliteTriggers,
};

export function triggerDialectFor(dialect: AuditDialect['name']): TriggerDialect {
  return TRIGGERS[dialect];
}

/** Our triggers as installed, per table. */
export async function readInstalledTriggers(
  executor: SqlExecutor,
  dialect: AuditDialect['name'],
): Promise<Map<string, InstalledTriggers>> {
  const [sql, parameters] = TRIGGERS[dialect].installedQuery();
  const installed = new Map<string, InstalledTriggers>();
  for (const row of rowsOf(await executor.query(sql, parameters))) {
    const table = String(row.table_name);
    const entry = installed.get(table) ?? { table, names: [] };
    entry.names.push(String(row.trigger_name));
    entry.spec ??= specFromText(row.body as string | null);
    installed.set(table, entry);
  }
  return installed;
}

const names = (columns: ReadonlyArray<{ name: string }>) => columns.map((column) => column.name);
const quoted = (items: readonly string[]) => items.map((item) => `"${item}"`).join(', ');

/** What differs between the installed triggers of one table and what the entities and options ask for. */
function tableDrift(expected: TableTriggerSpec, installed: TableTriggerSpec): string[] {
  const lines: string[] = [];
  const was = new Map(installed.columns.map((column) => [column.name, column.kind]));
  const wasExcluded = new Set(installed.excluded);
  const now = new Map(expected.columns.map((column) => [column.name, column.kind]));
  const nowExcluded = new Set(expected.excluded);
  for (const [name, kind] of now) {
    if (wasExcluded.has(name)) lines.push(`column "${name}" is no longer excluded (excludeFields changed)`);
    else if (!was.has(name)) lines.push(`column "${name}" added since the triggers were installed`);
    else if (was.get(name) !== kind) lines.push(`column "${name}" changed type (${was.get(name)} -> ${kind})`);
  }
  for (const name of nowExcluded) {
    if (was.has(name)) lines.push(`column "${name}" is now excluded (excludeFields changed)`);
    else if (!wasExcluded.has(name)) lines.push(`column "${name}" added since the triggers were installed`);
  }
  for (const name of [...was.keys(), ...wasExcluded]) {
    if (!now.has(name) && !nowExcluded.has(name))
      lines.push(`column "${name}" dropped since the triggers were installed`);
  }
  if (names(expected.primaryKey).join() !== names(installed.primaryKey).join()) {
    lines.push(`primary key changed (${quoted(names(installed.primaryKey))} -> ${quoted(names(expected.primaryKey))})`);
  }
  if (expected.deleteDate !== installed.deleteDate) {
    lines.push(`delete-date column changed (${installed.deleteDate ?? 'none'} -> ${expected.deleteDate ?? 'none'})`);
  }
  if (expected.bookkeeping.join() !== installed.bookkeeping.join()) {
    lines.push(
      `update-date/version columns changed (${quoted(installed.bookkeeping)} -> ${quoted(expected.bookkeeping)})`,
    );
  }
  if (expected.auditTable !== installed.auditTable) {
    lines.push(`rows go to "${installed.auditTable}", dataAudit.table is "${expected.auditTable}"`);
  }
  if (lines.length === 0 && expected.v !== installed.v) {
    lines.push(`installed by an older version of the trigger generator (${installed.v} -> ${expected.v})`);
  }
  return lines;
}

export interface TriggerDrift {
  /** Tables whose triggers are missing or out of date, each with what drifted. */
  tables: Array<{ table: string; reasons: string[] }>;
  /** Tables that carry our triggers but are no longer audited (excluded, or no entity any more). */
  stale: string[];
}

/** Compares the installed triggers with the entity metadata and the exclusion options. */
export function triggerDrift(
  expected: readonly TableTriggerSpec[],
  installed: ReadonlyMap<string, InstalledTriggers>,
  dialect: AuditDialect['name'],
): TriggerDrift {
  const drift: TriggerDrift = { tables: [], stale: [] };
  for (const spec of expected) {
    const found = installed.get(spec.table);
    let reasons: string[];
    if (!found) reasons = ['no capture triggers installed'];
    else {
      const missing = TRIGGERS[dialect].triggerNames(spec.table).filter((name) => !found.names.includes(name));
      if (missing.length) reasons = [`trigger(s) missing: ${missing.join(', ')}`];
      else if (!found.spec) reasons = ['installed triggers carry no readable specification'];
      else reasons = tableDrift(spec, found.spec);
    }
    if (reasons.length) drift.tables.push({ table: spec.table, reasons });
  }
  const audited = new Set(expected.map((spec) => spec.table));
  drift.stale = [...installed.keys()].filter((table) => !audited.has(table)).sort();
  return drift;
}

export function hasDrift(drift: TriggerDrift): boolean {
  return drift.tables.length > 0 || drift.stale.length > 0;
}

/** The start-up error: every table that drifted and exactly how, and the two ways to fix it. */
export function driftMessage(drift: TriggerDrift): string {
  const lines = [
    ...drift.tables.map(({ table, reasons }) => `  - ${table}: ${reasons.join('; ')}`),
    ...drift.stale.map(
      (table) => `  - ${table}: has capture triggers but is no longer audited (excluded or no entity)`,
    ),
  ];
  return (
    `nestjs-audit-trail: the database capture triggers do not match the entities and options ` +
    `(dataAudit.capture: 'database', autoMigrate: false):\n${lines.join('\n')}\n` +
    `Run the migration from createAuditTriggerMigration() (or start once with autoMigrate: true) to refresh them.`
  );
}

export interface TriggerInstallResult {
  refreshed: string[];
  removed: string[];
}

/**
 * Installs or refreshes the triggers of every audited table whose installed triggers drifted, and
 * removes ours from tables no longer audited. Idempotent: a second run with nothing changed does nothing.
 * Run it on one connection (a QueryRunner): on PostgreSQL it is one transaction under an advisory
 * lock, so two instances starting together do not interleave their DDL.
 */
export async function installCaptureTriggers(
  executor: SqlExecutor,
  dialect: AuditDialect['name'],
  specs: readonly TableTriggerSpec[],
  options: { force?: boolean } = {},
): Promise<TriggerInstallResult> {
  const triggers = TRIGGERS[dialect];
  const installed = await readInstalledTriggers(executor, dialect);
  const drift = triggerDrift(specs, installed, dialect);
  const refresh = new Set(options.force ? specs.map((spec) => spec.table) : drift.tables.map((entry) => entry.table));
  const statements = [
    ...specs.filter((spec) => refresh.has(spec.table)).flatMap((spec) => triggers.install(spec, spec.auditTable)),
    ...drift.stale.flatMap((table) => triggers.uninstall(table)),
  ];
  if (statements.length === 0) return { refreshed: [], removed: [] };
  // PostgreSQL DDL is transactional: all tables change together or none does.
  if (dialect === 'postgres') await executor.query('BEGIN');
  try {
    if (dialect === 'postgres')
      await executor.query(`SELECT pg_advisory_xact_lock(hashtext('nestjs-audit-trail:triggers'))`);
    for (const statement of statements) await executor.query(statement);
    if (dialect === 'postgres') await executor.query('COMMIT');
  } catch (error) {
    if (dialect === 'postgres') await executor.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return { refreshed: [...refresh].sort(), removed: drift.stale };
}

/** Every audited table's triggers as statements, for a migration file or a DBA's review. */
export function captureTriggerStatements(dialect: AuditDialect['name'], specs: readonly TableTriggerSpec[]): string[] {
  return specs.flatMap((spec) => TRIGGERS[dialect].install(spec, spec.auditTable));
}

/** The spec-building options from the data-trail options (the same rules ORM mode applies). */
export function triggerOptionsOf(dataAudit: {
  table: string;
  excludeFields: Iterable<string>;
  excludeEntities: Iterable<string>;
}): TriggerOptions {
  return {
    auditTable: dataAudit.table,
    excludeFields: new Set(dataAudit.excludeFields),
    excludeEntities: new Set(dataAudit.excludeEntities),
  };
}

export interface AuditTriggerMigrationOptions {
  /** Data-trail table. Default `audit_logs`. */
  table?: string;
  excludeFields?: string[];
  excludeEntities?: string[];
}

/**
 * A TypeORM migration that installs (up) or removes (down) the capture triggers of every audited
 * entity of the migrating DataSource, for applications with `dataAudit.capture: 'database'` and
 * `autoMigrate: false`. Give it the same exclusions as the module, and add a new one (a new
 * timestamp) whenever an audited entity's columns change: start-up names what drifted otherwise.
 *
 *   migrations: [createAuditMigration(), createAuditTriggerMigration({ excludeFields: ['password'] })]
 */
export function createAuditTriggerMigration(
  options: AuditTriggerMigrationOptions = {},
  timestamp = 1767225600001,
): new () => MigrationInterface {
  const name = `AuditTrailTriggers${timestamp}`;
  const triggerOptions = triggerOptionsOf({
    table: options.table ?? 'audit_logs',
    excludeFields: options.excludeFields ?? [],
    excludeEntities: options.excludeEntities ?? [],
  });
  const migration = class implements MigrationInterface {
    readonly name = name;

    async up(queryRunner: QueryRunner): Promise<void> {
      const dialect = dialectFor(queryRunner.connection.options.type).name;
      const specs = triggerSpecsFor(queryRunner.connection as DataSource, triggerOptions);
      // Migrations run inside TypeORM's transaction already; install statement by statement.
      for (const statement of captureTriggerStatements(dialect, specs)) await queryRunner.query(statement);
      const installed = await readInstalledTriggers(queryRunner, dialect);
      const { stale } = triggerDrift(specs, installed, dialect);
      for (const table of stale) {
        for (const statement of TRIGGERS[dialect].uninstall(table)) await queryRunner.query(statement);
      }
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      const dialect = dialectFor(queryRunner.connection.options.type).name;
      for (const table of (await readInstalledTriggers(queryRunner, dialect)).keys()) {
        for (const statement of TRIGGERS[dialect].uninstall(table)) await queryRunner.query(statement);
      }
    }
  };
  Object.defineProperty(migration, 'name', { value: name });
  return migration;
}

/** Thrown at start-up when the installed triggers drifted and `autoMigrate` is off. */
/**
 * ORM capture (or no data trail) over tables that still carry the triggers of an earlier database
 * capture: the triggers would record every change a second time, beside ORM capture's row. Only
 * the tables of this application's entities are looked at: another application on the same
 * database may capture its own tables with triggers.
 */
async function leftOverTriggers(
  runner: QueryRunner,
  dialect: AuditDialect['name'],
  entityTables: readonly string[],
  autoMigrate: boolean,
): Promise<string | undefined> {
  const audited = new Set(entityTables);
  const installed = await readInstalledTriggers(runner, dialect);
  const left = [...installed.keys()].filter((table) => audited.has(table)).sort();
  if (left.length === 0) return undefined;
  if (!autoMigrate) throw new CaptureTriggersLeftError(left);
  for (const table of left) for (const statement of TRIGGERS[dialect].uninstall(table)) await runner.query(statement);
  return `database capture triggers removed from ${left.join(', ')} (dataAudit.capture is 'orm')`;
}

/** Start-up in ORM capture over tables that still carry capture triggers, without autoMigrate to remove them. */
export class CaptureTriggersLeftError extends Error {
  constructor(readonly tables: readonly string[]) {
    super(
      `nestjs-audit-trail: database capture triggers are still installed on ${tables.join(', ')}, and dataAudit.capture is 'orm': ` +
        'each change there would be recorded twice. Run the down() of the migration from createAuditTriggerMigration() ' +
        "(or start once with autoMigrate: true) to remove them, or go back to dataAudit.capture: 'database'.",
    );
    this.name = 'CaptureTriggersLeftError';
  }
}

export class CaptureTriggerDriftError extends Error {
  constructor(readonly drift: TriggerDrift) {
    super(driftMessage(drift));
    this.name = 'CaptureTriggerDriftError';
  }
}

/**
 * Start-up of `dataAudit.capture: 'database'`: with `autoMigrate` the triggers are installed or
 * refreshed where they drifted; without it a drift stops start-up with the message naming it.
 * In ORM mode, capture triggers left on audited tables are removed (autoMigrate) or named.
 * Returns a line for the log, or undefined when there is nothing to say.
 */
export async function prepareCaptureTriggers(
  dataSource: DataSource,
  options: Pick<ResolvedAuditOptions, 'dataAudit' | 'autoMigrate'>,
): Promise<string | undefined> {
  const dialect = dialectFor(dataSource.options.type).name;
  const runner = dataSource.createQueryRunner();
  try {
    if (!options.dataAudit.enabled || options.dataAudit.capture !== 'database') {
      const tables = dataSource.entityMetadatas.map((metadata) => metadata.tableName);
      return await leftOverTriggers(runner, dialect, tables, options.autoMigrate);
    }
    const specs = triggerSpecsFor(dataSource, triggerOptionsOf(options.dataAudit));
    if (options.autoMigrate) {
      const { refreshed, removed } = await installCaptureTriggers(runner, dialect, specs);
      return (
        `database capture: triggers on ${specs.length} table(s)` +
        (refreshed.length ? `, installed or refreshed on ${refreshed.join(', ')}` : ', all up to date') +
        (removed.length ? `, removed from ${removed.join(', ')}` : '')
      );
    }
    const drift = triggerDrift(specs, await readInstalledTriggers(runner, dialect), dialect);
    if (hasDrift(drift)) throw new CaptureTriggerDriftError(drift);
    return `database capture: triggers on ${specs.length} table(s) match the entities`;
  } finally {
    await runner.release();
  }
}
