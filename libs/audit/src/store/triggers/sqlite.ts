import { SQLITE_CONTEXT_FUNCTION, SQLITE_CONTEXT_MARKER, type TriggerDialect } from './trigger-dialect';
import { type TableTriggerSpec, type TriggerColumn, assertSafeName, shortName, specComment } from './trigger-spec';

const EVENTS = ['insert', 'update', 'delete'] as const;
// SQLite functions take at most 127 arguments by default; wide rows are built in chunks.
const PAIRS_PER_OBJECT = 50;
const q = (name: string) => `"${assertSafeName(name)}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
const NO_PATH = `'$."nestjs-audit-trail:none"'`;

function value(column: TriggerColumn, row: 'OLD' | 'NEW'): string {
  const ref = `${row}.${q(column.name)}`;
  switch (column.kind) {
    case 'boolean':
      return `CASE WHEN ${ref} IS NULL THEN NULL WHEN ${ref} THEN json('true') ELSE json('false') END`;
    case 'json':
      return `CASE WHEN json_valid(${ref}) THEN json(${ref}) ELSE ${ref} END`;
    case 'timestamp':
    case 'timestamptz':
      return `COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', ${ref}), ${ref})`;
    case 'binary':
      return `hex(${ref})`;
    default:
      return ref;
  }
}

function object(columns: readonly TriggerColumn[], row: 'OLD' | 'NEW'): string {
  if (columns.length === 0) return `json_object()`;
  const chunks: string[] = [];
  for (let start = 0; start < columns.length; start += PAIRS_PER_OBJECT) {
    const pairs = columns.slice(start, start + PAIRS_PER_OBJECT);
    chunks.push(`json_object(${pairs.map((column) => `${literal(column.name)}, ${value(column, row)}`).join(', ')})`);
  }
  return chunks.reduce((joined, chunk) => `json_patch(${joined}, ${chunk})`);
}

/** The row's object without the columns the update left as they were. */
function changedOnly(columns: readonly TriggerColumn[], row: 'OLD' | 'NEW'): string {
  let expression = object(columns, row);
  for (let start = 0; start < columns.length; start += PAIRS_PER_OBJECT * 2) {
    const paths = columns
      .slice(start, start + PAIRS_PER_OBJECT * 2)
      .map(
        (column) =>
          `CASE WHEN OLD.${q(column.name)} IS NOT NEW.${q(column.name)} THEN ${NO_PATH} ELSE ${literal(`$."${column.name}"`)} END`,
      );
    expression = `json_remove(${expression}, ${paths.join(', ')})`;
  }
  return `NULLIF(${expression}, '{}')`;
}

function entityId(spec: TableTriggerSpec, row: 'OLD' | 'NEW'): string {
  if (spec.primaryKey.length === 1) return `CAST(${row}.${q(spec.primaryKey[0].name)} AS TEXT)`;
  return `json_array(${spec.primaryKey.map((column) => value(column, row)).join(', ')})`;
}

/**
 * The columns filled from the context `c`: the app's scope on its own connection, nothing on any
 * other (then the database is the user, and the statement's instant, constant within one SQLite
 * step, groups its rows).
 */
const CONTEXT_COLUMNS =
  `COALESCE(json_extract(x.c, '$.user_id'), 'sqlite'), COALESCE(json_extract(x.c, '$.user_type'), 'database'), ` +
  `json_extract(x.c, '$.metadata'), ` +
  `COALESCE(json_extract(x.c, '$.transaction_id'), 'db-' || CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)), ` +
  `strftime('%Y-%m-%d %H:%M:%f', 'now')`;

/**
 * `conditions` decide whether the row is written; so does the context's `silence`: the entities the
 * module records itself for now (applyRestore), which only the app's own connection can name.
 */
function insert(spec: TableTriggerSpec, context: string, select: string, id: string, conditions?: string): string {
  const heard =
    `(json_extract(x.c, '$.silence') IS NULL OR ` +
    `instr(json_extract(x.c, '$.silence'), char(30) || ${literal(spec.table)} || char(31) || (${id}) || char(30)) = 0)`;
  return (
    `INSERT INTO ${q(spec.auditTable)} (entity_type, entity_id, action, old_values, new_values, user_id, user_type, metadata, transaction_id, created_at) ` +
    `SELECT ${literal(spec.table)}, ${select}, ${CONTEXT_COLUMNS} FROM (SELECT ${context} AS c) x ` +
    `WHERE ${conditions ? `(${conditions}) AND ` : ''}${heard};`
  );
}

function bodies(spec: TableTriggerSpec, context: string): Record<(typeof EVENTS)[number], string> {
  const bookkeeping = new Set(spec.bookkeeping);
  const moved = spec.columns
    .filter((column) => !bookkeeping.has(column.name))
    .map((column) => `OLD.${q(column.name)} IS NOT NEW.${q(column.name)}`);
  const dd = spec.deleteDate ? q(spec.deleteDate) : undefined;
  const action = dd
    ? `CASE WHEN OLD.${dd} IS NULL AND NEW.${dd} IS NOT NULL THEN 'soft_delete' WHEN OLD.${dd} IS NOT NULL AND NEW.${dd} IS NULL THEN 'restore' ELSE 'update' END`
    : `'update'`;
  const conditions = [...moved, ...(dd ? [`(OLD.${dd} IS NULL) <> (NEW.${dd} IS NULL)`] : [])];
  return {
    insert: insert(
      spec,
      context,
      `${entityId(spec, 'NEW')}, 'create', NULL, ${object(spec.columns, 'NEW')}`,
      entityId(spec, 'NEW'),
    ),
    delete: insert(
      spec,
      context,
      `${entityId(spec, 'OLD')}, 'delete', ${object(spec.columns, 'OLD')}, NULL`,
      entityId(spec, 'OLD'),
    ),
    update: insert(
      spec,
      context,
      `${entityId(spec, 'NEW')}, ${action}, ` +
        `CASE ${action} WHEN 'update' THEN ${changedOnly(spec.columns, 'OLD')} ELSE ${object(spec.columns, 'OLD')} END, ` +
        `CASE ${action} WHEN 'restore' THEN ${object(spec.columns, 'NEW')} ELSE ${changedOnly(spec.columns, 'NEW')} END`,
      entityId(spec, 'NEW'),
      conditions.length ? conditions.join(' OR ') : '0',
    ),
  };
}

/**
 * Triggers in the database file, for every connection: they step aside on a connection that
 * carries the app's context (it attached the marker schema) and record the rest as the database's.
 */
export const sqliteTriggers: TriggerDialect = {
  install(spec) {
    const guard = `WHEN NOT EXISTS (SELECT 1 FROM pragma_database_list WHERE name = '${SQLITE_CONTEXT_MARKER}')`;
    const body = bodies(spec, 'NULL');
    return EVENTS.flatMap((event) => {
      const name = q(shortName(spec.table, event));
      return [
        `DROP TRIGGER IF EXISTS ${name}`,
        `CREATE TRIGGER ${name} AFTER ${event.toUpperCase()} ON ${q(spec.table)} FOR EACH ROW ${guard}\n` +
          `BEGIN\n  ${specComment(spec)}\n  ${body[event]}\nEND`,
      ];
    });
  },
  uninstall: (table) => EVENTS.map((event) => `DROP TRIGGER IF EXISTS ${q(shortName(table, event))}`),
  triggerNames: (table) => EVENTS.map((event) => shortName(table, event)),
  installedQuery: () => [
    `SELECT tbl_name AS table_name, name AS trigger_name, sql AS body FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit\\_trail\\_%' ESCAPE '\\'`,
    [],
  ],
};

/**
 * TEMP triggers for the app's own connection: the same rows, with the context read from the
 * function registered on that connection (instrumentation/database/sqlite-context.ts).
 */
export function sqliteContextTriggers(spec: TableTriggerSpec): string[] {
  const body = bodies(spec, `${SQLITE_CONTEXT_FUNCTION}()`);
  return EVENTS.flatMap((event) => {
    const name = q(shortName(spec.table, `${event}_ctx`));
    return [
      `DROP TRIGGER IF EXISTS temp.${name}`,
      `CREATE TEMP TRIGGER ${name} AFTER ${event.toUpperCase()} ON main.${q(spec.table)} FOR EACH ROW\nBEGIN\n  ${body[event]}\nEND`,
    ];
  });
}

export function dropSqliteContextTriggers(table: string): string[] {
  return EVENTS.map((event) => `DROP TRIGGER IF EXISTS temp.${q(shortName(table, `${event}_ctx`))}`);
}
