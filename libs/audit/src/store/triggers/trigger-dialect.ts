import type { TableTriggerSpec } from './trigger-spec';

/**
 * Names shared by the triggers (store layer) and the code that hands them the current scope
 * (instrumentation/database). The context is one JSON object:
 * `{"transaction_id": "...", "user_id": "...", "user_type": "...", "metadata": {...} | null}`.
 */
export const CONTEXT_SETTING = 'audit_trail.context';
/**
 * MariaDB/MySQL: one user variable per field rather than one JSON object, so that the row triggers
 * read them as they are instead of parsing JSON for every row. Set together, cleared together.
 */
export const CONTEXT_VARIABLES = {
  transaction_id: '@audit_trail_transaction_id',
  user_id: '@audit_trail_user_id',
  user_type: '@audit_trail_user_type',
  metadata: '@audit_trail_metadata',
} as const;
/**
 * Entities whose changes the triggers leave unrecorded for a while (the write `applyRestore` makes,
 * recorded by its own `restore` row): PostgreSQL setting, MariaDB/MySQL variable, or the `silence`
 * field of the SQLite context; always transaction-local or cleared with the context. The value is
 * `silenceList`'s: each entity as table, U+001F, entity id, every one between U+001E marks.
 */
export const SILENCE_SETTING = 'audit_trail.silence';
export const SILENCE_VARIABLE = '@audit_trail_silence';
const SILENCE_SEPARATOR = '\u001e';
const SILENCE_JOINER = '\u001f';

/** The silence value for these entities (table, entity id as the trail writes it); undefined for none. */
export function silenceList(entities: ReadonlyArray<readonly [string, string]>): string | undefined {
  if (entities.length === 0) return undefined;
  const items = entities.map(([table, id]) => `${table}${SILENCE_JOINER}${id}`);
  return `${SILENCE_SEPARATOR}${items.join(SILENCE_SEPARATOR)}${SILENCE_SEPARATOR}`;
}

export const SQLITE_CONTEXT_FUNCTION = 'nestjs_audit_trail_context';
/** A schema attached (empty, in memory) to the connections that carry context, which the plain triggers look for. */
export const SQLITE_CONTEXT_MARKER = 'nestjs_audit_trail';

export interface TriggerContext {
  transaction_id: string;
  user_id: string;
  user_type: string;
  metadata: Record<string, unknown> | null;
  /** SQLite only: `silenceList` of the entities left unrecorded, when there are any. */
  silence?: string;
}

/** One table's installed triggers as read back from the catalogue. */
export interface InstalledTriggers {
  table: string;
  /** Names of our triggers found on the table. */
  names: string[];
  /** The spec embedded in them; undefined when unreadable. */
  spec?: TableTriggerSpec;
}

/** What differs between PostgreSQL, MariaDB/MySQL and SQLite for capture triggers. */
export interface TriggerDialect {
  /** Statements that (re)create the triggers of one table, idempotently, writing into `auditTable`. */
  install(spec: TableTriggerSpec, auditTable: string): string[];
  /** Statements that remove our triggers from one table (when it stops being audited). */
  uninstall(table: string): string[];
  /** The names of the triggers `install` creates on a table. */
  triggerNames(table: string): string[];
  /** A query listing our installed triggers: rows of `table_name`, `trigger_name`, `body`. */
  installedQuery(): [string, unknown[]];
}
