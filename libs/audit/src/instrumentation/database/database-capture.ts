import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, QueryRunner } from 'typeorm';
import type { AuditDialect } from '../../store/audit-dialect';
import { dropSqliteContextTriggers, sqliteContextTriggers } from '../../store/triggers/sqlite';
import {
  CONTEXT_SETTING,
  CONTEXT_VARIABLES,
  SILENCE_SETTING,
  SILENCE_VARIABLE,
  SQLITE_CONTEXT_FUNCTION,
  SQLITE_CONTEXT_MARKER,
  type TriggerContext,
  silenceList,
} from '../../store/triggers/trigger-dialect';
import type { TableTriggerSpec } from '../../store/triggers/trigger-spec';
import type { AuditContext } from '../../transaction/audit-context';
import { newTransactionId } from '../../transaction/transaction-id';

type Query = (sql: string, parameters?: unknown[], structured?: boolean) => Promise<any>;
type Start = QueryRunner['startTransaction'];
type End = QueryRunner['commitTransaction'];

// Statements that can fire a row trigger. Anything else (SELECT, DDL, SET, transaction control) runs as it is.
const WRITE =
  /^\s*(?:(?:\/\*[\s\S]*?\*\/|--[^\n]*\n)\s*)*(?:insert|update|delete|replace|merge|truncate|with|call|upsert)\b/i;

export function isWriteStatement(sql: unknown): boolean {
  return typeof sql === 'string' && WRITE.test(sql);
}

/** The scope's context as the triggers read it; outside any scope, the system user and a fresh ID. */
export function contextOf(context: AuditContext): TriggerContext {
  const user = context.user();
  return {
    transaction_id: context.transactionId() ?? newTransactionId(),
    user_id: user.id,
    user_type: user.type,
    metadata: context.requestMetadata(),
  };
}

export function contextJson(context: AuditContext): string {
  return JSON.stringify(contextOf(context));
}

/** A PostgreSQL string literal that means the same whatever standard_conforming_strings says. */
function escapeLiteral(text: string): string {
  return `E'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

interface Patch {
  runner: QueryRunner;
  query: Query;
  startTransaction: Start;
  commitTransaction: End;
  rollbackTransaction: End;
  release: QueryRunner['release'];
}

interface DialectHooks {
  /** Puts the per-transaction behaviour on one query runner's own methods. */
  wrap(runner: QueryRunner, original: Patch, active: () => boolean): void;
  detach?(): void;
}

/** Wraps COMMIT and ROLLBACK so that `ended` runs once the outermost transaction is over, however it ended. */
function onTransactionEnd(runner: QueryRunner, original: Patch, ended: () => void): void {
  const ending = (end: End) => async () => {
    try {
      await end.call(runner);
    } finally {
      if (!runner.isTransactionActive) ended();
    }
  };
  runner.commitTransaction = ending(original.commitTransaction);
  runner.rollbackTransaction = ending(original.rollbackTransaction);
}

/** The entities whose changes on this runner the module records itself for now, as `silenceList` gives them. */
type Silenced = (runner: QueryRunner) => string | undefined;

/**
 * What database capture needs of the data trail: the entities whose write applyRestore is making
 * now, which its own `restore` row records and the triggers are to leave out.
 */
export interface SilencedEntities {
  silencedEntities(runner: QueryRunner): ReadonlyArray<readonly [string, string]>;
}

const ROLLBACK_TO_SAVEPOINT = /^\s*ROLLBACK\s+TO\s+/i;
/** Never a silence value: what the connection holds is not known. */
const UNKNOWN = '\u0000unknown';

/**
 * PostgreSQL and MariaDB: tells a runner's connection, before a write, which entities the triggers
 * are to leave out (applyRestore's write, which its own `restore` row records), and only when that
 * changed since it was last told. Nothing is sent while nothing is silenced.
 */
class SilenceSync {
  private readonly told = new WeakMap<QueryRunner, string>();

  constructor(
    private readonly silenced: Silenced,
    /** One statement with one parameter, the value ('' for none). */
    private readonly statement: string,
    private readonly none: string | null,
  ) {}

  async beforeWrite(runner: QueryRunner, original: Patch): Promise<void> {
    const wanted = this.silenced(runner) ?? '';
    if ((this.told.get(runner) ?? '') === wanted) return;
    await original.query.call(runner, this.statement, [wanted === '' ? this.none : wanted]);
    this.told.set(runner, wanted);
  }

  /** After any statement: a rolled-back savepoint may have restored an earlier value (PostgreSQL). */
  after(runner: QueryRunner, sql: string): void {
    if (this.told.has(runner) && ROLLBACK_TO_SAVEPOINT.test(sql)) this.told.set(runner, UNKNOWN);
  }

  /** The transaction ended, and with it what the connection held (transaction-local, or cleared with the context). */
  forget(runner: QueryRunner): void {
    this.told.delete(runner);
  }
}

/**
 * PostgreSQL: `set_config(..., true)` is transaction-local, so PostgreSQL itself forgets the
 * context at COMMIT or ROLLBACK and a pooled connection never carries it on. It rides in the same
 * simple-protocol round trip as `START TRANSACTION` (or `SET TRANSACTION ISOLATION LEVEL`, which
 * must come before any SELECT). A write outside a transaction is given one, so its rows are attributed too.
 */
function postgresHooks(dataSource: DataSource, context: AuditContext, silenced: Silenced): DialectHooks {
  const pending = new WeakMap<QueryRunner, { literal: string; isolated: boolean }>();
  const silence = new SilenceSync(silenced, `SELECT set_config('${SILENCE_SETTING}', $1, true)`, '');
  return {
    wrap(runner, original, active) {
      runner.startTransaction = async (isolationLevel) => {
        if (!active() || runner.isTransactionActive) return original.startTransaction.call(runner, isolationLevel);
        const isolated = Boolean(isolationLevel ?? dataSource.options.isolationLevel);
        pending.set(runner, { literal: escapeLiteral(contextJson(context)), isolated });
        try {
          return await original.startTransaction.call(runner, isolationLevel);
        } finally {
          pending.delete(runner);
        }
      };
      onTransactionEnd(runner, original, () => silence.forget(runner));
      runner.query = (async (sql: string, parameters?: unknown[], structured?: boolean) => {
        const riding = pending.get(runner);
        if (riding && !parameters?.length) {
          const opens = riding.isolated ? /^SET TRANSACTION ISOLATION LEVEL/i.test(sql) : sql === 'START TRANSACTION';
          if (opens) {
            pending.delete(runner);
            sql = `${sql}; SELECT set_config('${CONTEXT_SETTING}', ${riding.literal}, true)`;
          }
        }
        if (!active() || !isWriteStatement(sql)) {
          const result = await original.query.call(runner, sql, parameters, structured);
          silence.after(runner, sql);
          return result;
        }
        if (runner.isTransactionActive) {
          await silence.beforeWrite(runner, original);
          return original.query.call(runner, sql, parameters, structured);
        }
        await runner.startTransaction();
        try {
          await silence.beforeWrite(runner, original);
          const result = await original.query.call(runner, sql, parameters, structured);
          await runner.commitTransaction();
          return result;
        } catch (error) {
          if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
          throw error;
        }
      }) as QueryRunner['query'];
    },
  };
}

interface MysqlConnection {
  query(sql: string, callback: (error: unknown) => void): unknown;
}

/** The context's variables written (one `?` each, in `contextValues`' order) or cleared, as MariaDB and MySQL both read it. */
const VARIABLES = [
  CONTEXT_VARIABLES.transaction_id,
  CONTEXT_VARIABLES.user_id,
  CONTEXT_VARIABLES.user_type,
  CONTEXT_VARIABLES.metadata,
];
const SET_CONTEXT = `SET ${VARIABLES.map((variable) => `${variable} = ?`).join(', ')}`;
/** Clears the silence with the context, so that it ends with the transaction as well. */
const CLEAR_CONTEXT = `SET ${[...VARIABLES, SILENCE_VARIABLE].map((variable) => `${variable} = NULL`).join(', ')}`;

function contextValues(context: AuditContext): unknown[] {
  const value = contextOf(context);
  return [value.transaction_id, value.user_id, value.user_type, value.metadata ? JSON.stringify(value.metadata) : null];
}

/**
 * MariaDB/MySQL: a user variable lives as long as the session, so it is set when the transaction
 * starts and cleared when it ends. On MariaDB both ride in the statement they belong to, as one
 * anonymous compound statement (`BEGIN NOT ATOMIC START TRANSACTION; SET ...; END`, and the same
 * around COMMIT or ROLLBACK), so the context costs no round trip of its own. MySQL has no anonymous
 * compound statements: there the variable is set by one statement after START TRANSACTION, and
 * cleared by one queued on the connection before it goes back to the pool (mysql2 runs a
 * connection's commands in order), so the next borrower finds it cleared without anyone waiting for it.
 * Whichever way, a connection that ends a transaction, or is released, without the clearing
 * having run gets it queued then: a pooled connection never carries one scope's context into another.
 */
function mariadbHooks(context: AuditContext, silenced: Silenced): DialectHooks {
  const carrying = new WeakSet<QueryRunner>();
  const silence = new SilenceSync(silenced, `SET ${SILENCE_VARIABLE} = ?`, null);
  // Which server this is, read once on the runner that asks (a second connection could wait on a
  // pool that this runner exhausts): MariaDB's VERSION() says so, MySQL's does not.
  let compound: boolean | undefined;
  const compoundStatements = async (runner: QueryRunner, original: Patch): Promise<boolean> => {
    if (compound === undefined) {
      try {
        const rows: Array<{ version?: unknown }> = await original.query.call(runner, 'SELECT VERSION() AS version');
        compound = /mariadb/i.test(String(rows[0]?.version ?? ''));
      } catch {
        return false; // asked again next time; the transaction itself reports what is wrong with the connection
      }
    }
    return compound;
  };
  const pending = new WeakMap<QueryRunner, unknown[]>();
  const clear = (runner: QueryRunner) => {
    if (!carrying.has(runner)) return;
    carrying.delete(runner);
    silence.forget(runner);
    const connection = (runner as unknown as { databaseConnection?: MysqlConnection }).databaseConnection;
    connection?.query(CLEAR_CONTEXT, () => undefined);
  };
  const set = async (runner: QueryRunner, original: Patch, values = contextValues(context)) => {
    carrying.add(runner);
    await original.query.call(runner, SET_CONTEXT, values);
  };
  return {
    wrap(runner, original, active) {
      runner.startTransaction = async (isolationLevel) => {
        const outermost = active() && !runner.isTransactionActive;
        if (!outermost) return original.startTransaction.call(runner, isolationLevel);
        const values = contextValues(context);
        const riding = await compoundStatements(runner, original);
        if (riding) pending.set(runner, values);
        let rode: boolean;
        try {
          await original.startTransaction.call(runner, isolationLevel);
        } finally {
          // The query hook below takes the context off `pending` when it puts it in START TRANSACTION.
          rode = riding && !pending.has(runner);
          pending.delete(runner);
        }
        // MySQL, or a TypeORM that opens its transactions some other way: a statement of its own.
        if (!rode) await set(runner, original, values);
      };
      onTransactionEnd(runner, original, () => clear(runner));
      runner.release = () => {
        clear(runner);
        return original.release.call(runner);
      };
      runner.query = (async (sql: string, parameters?: unknown[], structured?: boolean) => {
        const values = pending.get(runner);
        if (values !== undefined && sql === 'START TRANSACTION' && !parameters?.length) {
          pending.delete(runner);
          // Carrying from before the statement is sent: if it fails half-way, the clearing still follows.
          carrying.add(runner);
          return original.query.call(runner, `BEGIN NOT ATOMIC ${sql}; ${SET_CONTEXT}; END`, values, structured);
        }
        if (compound && carrying.has(runner) && (sql === 'COMMIT' || sql === 'ROLLBACK') && !parameters?.length) {
          const result = await original.query.call(
            runner,
            `BEGIN NOT ATOMIC ${sql}; ${CLEAR_CONTEXT}; END`,
            [],
            structured,
          );
          carrying.delete(runner);
          silence.forget(runner);
          return result;
        }
        if (!active() || !isWriteStatement(sql)) return original.query.call(runner, sql, parameters, structured);
        if (runner.isTransactionActive) {
          await silence.beforeWrite(runner, original);
          return original.query.call(runner, sql, parameters, structured);
        }
        await set(runner, original);
        try {
          await silence.beforeWrite(runner, original);
          return await original.query.call(runner, sql, parameters, structured);
        } finally {
          clear(runner);
        }
      }) as QueryRunner['query'];
    },
  };
}

interface BetterSqlite3Database {
  function(name: string, options: { deterministic: boolean; varargs?: boolean }, fn: () => unknown): unknown;
  exec(sql: string): unknown;
}

/**
 * SQLite: a function on the app's connection answers the context of the statement running now.
 * better-sqlite3 runs a statement synchronously inside the caller's async context, so an
 * AsyncLocalStorage entered around the query is exactly that statement's. TEMP triggers on this
 * connection use the function; the triggers in the file see the marker schema and step aside.
 */
function sqliteHooks(
  dataSource: DataSource,
  context: AuditContext,
  specs: readonly TableTriggerSpec[],
  silenced: Silenced,
): DialectHooks {
  const statementContext = new AsyncLocalStorage<string>();
  const transactionContext = new WeakMap<QueryRunner, string>();
  let enabled = true;
  const database = (dataSource.driver as unknown as { databaseConnection: BetterSqlite3Database }).databaseConnection;
  database.function(SQLITE_CONTEXT_FUNCTION, { deterministic: false }, () =>
    enabled ? (statementContext.getStore() ?? null) : null,
  );
  database.exec(`ATTACH DATABASE ':memory:' AS ${SQLITE_CONTEXT_MARKER}`);
  for (const spec of specs) for (const statement of sqliteContextTriggers(spec)) database.exec(statement);
  return {
    wrap(runner, original, active) {
      runner.startTransaction = async (isolationLevel) => {
        const outermost = active() && !runner.isTransactionActive;
        if (outermost) transactionContext.set(runner, contextJson(context));
        try {
          await original.startTransaction.call(runner, isolationLevel);
        } catch (error) {
          if (outermost) transactionContext.delete(runner);
          throw error;
        }
      };
      onTransactionEnd(runner, original, () => transactionContext.delete(runner));
      runner.query = ((sql: string, parameters?: unknown[], structured?: boolean) => {
        const run = () => original.query.call(runner, sql, parameters, structured);
        if (!active()) return run();
        let json = runner.isTransactionActive
          ? transactionContext.get(runner)
          : isWriteStatement(sql)
            ? contextJson(context)
            : undefined;
        if (json === undefined) return run();
        const silence = silenced(runner);
        if (silence !== undefined) json = JSON.stringify({ ...(JSON.parse(json) as TriggerContext), silence });
        return statementContext.run(json, run);
      }) as QueryRunner['query'];
    },
    detach() {
      enabled = false;
      try {
        for (const spec of specs)
          for (const statement of dropSqliteContextTriggers(spec.table)) database.exec(statement);
        database.exec(`DETACH DATABASE ${SQLITE_CONTEXT_MARKER}`);
      } catch {
        // The connection is closed already (the app shut TypeORM down first): nothing is left to undo.
      }
    },
  };
}

const METHODS = ['query', 'startTransaction', 'commitTransaction', 'rollbackTransaction', 'release'] as const;

/**
 * Database capture: the triggers write the rows; this hands them the current scope (transaction ID,
 * user, request metadata) for every transaction the application runs on this DataSource, and for
 * every write it runs outside one. Returns the function that takes it all off again.
 */
export function attachDatabaseCapture(
  dataSource: DataSource,
  context: AuditContext,
  dialect: AuditDialect['name'],
  specs: readonly TableTriggerSpec[],
  trail: SilencedEntities,
): () => void {
  const silenced: Silenced = (runner) => silenceList(trail.silencedEntities(runner));
  const hooks =
    dialect === 'postgres'
      ? postgresHooks(dataSource, context, silenced)
      : dialect === 'mysql'
        ? mariadbHooks(context, silenced)
        : sqliteHooks(dataSource, context, specs, silenced);
  let attached = true;
  const active = () => attached;
  const patched = new Set<QueryRunner>();
  const wrapped = new WeakSet<QueryRunner>();
  const wrap = (runner: QueryRunner) => {
    if (wrapped.has(runner)) return runner;
    wrapped.add(runner);
    const original = { runner } as Patch;
    for (const method of METHODS) (original as any)[method] = (runner as any)[method];
    hooks.wrap(runner, original, active);
    // SQLite hands out one runner for the DataSource's life: it is unpatched on detach.
    if (dialect === 'sqlite') patched.add(runner);
    return runner;
  };

  const ownCreate = Object.prototype.hasOwnProperty.call(dataSource, 'createQueryRunner');
  const originalCreate = dataSource.createQueryRunner;
  dataSource.createQueryRunner = function createQueryRunner(this: DataSource, ...args) {
    return wrap(originalCreate.apply(dataSource, args));
  };
  return () => {
    attached = false;
    if (ownCreate) dataSource.createQueryRunner = originalCreate;
    else delete (dataSource as Partial<DataSource>).createQueryRunner;
    for (const runner of patched) for (const method of METHODS) delete (runner as any)[method];
    hooks.detach?.();
  };
}
