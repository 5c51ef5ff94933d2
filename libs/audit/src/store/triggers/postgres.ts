import { CONTEXT_SETTING, SILENCE_SETTING, type TriggerDialect } from './trigger-dialect';
import { type TableTriggerSpec, type TriggerColumn, assertSafeName, shortName, specComment } from './trigger-spec';

// One statement-level trigger per event: PostgreSQL allows transition tables only on single-event triggers.
const INSERT_TRIGGER = 'audit_trail_insert';
const UPDATE_TRIGGER = 'audit_trail_update';
const DELETE_TRIGGER = 'audit_trail_delete';
const TRUNCATE_TRIGGER = 'audit_trail_truncate';
const TRIGGERS = [INSERT_TRIGGER, UPDATE_TRIGGER, DELETE_TRIGGER, TRUNCATE_TRIGGER];
/** The row-level trigger of earlier versions: still read, so an old installation is found and replaced. */
const LEGACY_ROW_TRIGGER = 'audit_trail_row';
const OLD_TABLE = 'audit_old';
const NEW_TABLE = 'audit_new';
/** Position of a row in its transition table, so the rows of one statement are written in the statement's order. */
const ORDINAL = 'audit_trail_ordinal';
const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
// jsonb_build_object takes at most 100 arguments, so wide rows are built in chunks and joined with ||.
const PAIRS_PER_OBJECT = 50;

const q = (name: string) => `"${assertSafeName(name)}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** Aliases of the old and the new row in the set-based statements. */
type Row = 'o' | 'n';

/** Function names are per table; a long table name is shortened with a hash like index names are. */
export function postgresFunctionName(table: string): string {
  return shortName(table, 'capture');
}

/** The column's value as jsonb, formatted as ORM mode formats it. */
function value(column: TriggerColumn, row: Row): string {
  const ref = `${row}.${q(column.name)}`;
  switch (column.kind) {
    case 'json':
      return `audit_trail_json(${ref}::text)`;
    case 'timestamp':
      return `to_jsonb(to_char(${ref}, ${ISO}))`;
    case 'timestamptz':
      return `to_jsonb(to_char(${ref} AT TIME ZONE 'UTC', ${ISO}))`;
    case 'decimal':
    case 'bigint':
      return `to_jsonb(${ref}::text)`;
    case 'binary':
      return `to_jsonb(translate(encode(${ref}, 'base64'), E'\\n', ''))`;
    default:
      return `to_jsonb(${ref})`;
  }
}

function buildObject(columns: readonly TriggerColumn[], valueOf: (column: TriggerColumn) => string): string {
  if (columns.length === 0) return `'{}'::jsonb`;
  const chunks: string[] = [];
  for (let start = 0; start < columns.length; start += PAIRS_PER_OBJECT) {
    const pairs = columns
      .slice(start, start + PAIRS_PER_OBJECT)
      .map((column) => `${literal(column.name)}, ${valueOf(column)}`);
    chunks.push(`jsonb_build_object(${pairs.join(', ')})`);
  }
  return chunks.length === 1 ? chunks[0] : `(${chunks.join(' || ')})`;
}

/** The whole row as jsonb. */
function object(columns: readonly TriggerColumn[], row: Row): string {
  return buildObject(columns, (column) => value(column, row));
}

/** `entity_id`: the key as text, a compound key as compact JSON array text (`[1,"a"]`), as ORM mode writes it. */
function entityId(spec: TableTriggerSpec, row: Row): string {
  if (spec.primaryKey.length === 1) return `(${value(spec.primaryKey[0], row)}) #>> '{}'`;
  return `'[' || concat_ws(',', ${spec.primaryKey.map((column) => `(${value(column, row)})::text`).join(', ')}) || ']'`;
}

function changed(column: TriggerColumn): string {
  const ref = (row: Row) => `${row}.${q(column.name)}${column.kind === 'json' ? '::text' : ''}`;
  return `${ref('o')} IS DISTINCT FROM ${ref('n')}`;
}

/**
 * Only the columns whose value changed, as jsonb: every column's key with its value formatted only
 * when it changed, minus the keys of the unchanged ones (`jsonb - text[]` skips the NULL elements).
 */
function diff(columns: readonly TriggerColumn[], row: Row): string {
  if (columns.length === 0) return `'{}'::jsonb`;
  const built = buildObject(columns, (column) => `CASE WHEN ${changed(column)} THEN ${value(column, row)} END`);
  const unchanged = columns.map((column) => `CASE WHEN NOT (${changed(column)}) THEN ${literal(column.name)} END`);
  return `(${built} - ARRAY[${unchanged.join(', ')}]::text[])`;
}

/** A join of the old and the new row on every primary-key column. */
function keyJoin(spec: TableTriggerSpec): string {
  return spec.primaryKey.map((column) => `o.${q(column.name)} = n.${q(column.name)}`).join(' AND ');
}

const numbered = (transition: string) => `(SELECT t.*, row_number() OVER () AS ${ORDINAL} FROM ${transition} t)`;

function functionBody(spec: TableTriggerSpec): string {
  const bookkeeping = new Set(spec.bookkeeping);
  const moving = spec.columns.filter((column) => !bookkeeping.has(column.name));
  const moved = moving.length ? moving.map((column) => `(${changed(column)})`).join(' OR ') : 'false';
  const deleteDate = spec.deleteDate ? q(spec.deleteDate) : undefined;
  const act =
    `CASE WHEN n.${ORDINAL} IS NULL THEN 'delete' WHEN o.${ORDINAL} IS NULL THEN 'create'` +
    (deleteDate
      ? ` WHEN o.${deleteDate} IS NULL AND n.${deleteDate} IS NOT NULL THEN 'soft_delete'` +
        ` WHEN o.${deleteDate} IS NOT NULL AND n.${deleteDate} IS NULL THEN 'restore'`
      : '') +
    ` ELSE 'update' END`;
  const columns = `INSERT INTO ${q(spec.auditTable)} (entity_type, entity_id, action, old_values, new_values, user_id, user_type, metadata, transaction_id, created_at)`;
  const context = `COALESCE(c.ctx->>'user_id', session_user::text), COALESCE(c.ctx->>'user_type', 'database')`;
  const metadata = `NULLIF(c.ctx->'metadata', 'null'::jsonb)`;
  // The audit table keeps milliseconds, and a TIMESTAMPTZ(3) rounds: cut to the millisecond instead,
  // so that no row is stamped later than its write returned (a snapshot taken then would miss it).
  const transaction = `COALESCE(c.ctx->>'transaction_id', 'db-' || txid_current()::text), date_trunc('milliseconds', clock_timestamp())`;
  const ctx =
    `(SELECT NULLIF(current_setting('${CONTEXT_SETTING}', true), '')::jsonb AS ctx, ` +
    `NULLIF(current_setting('${SILENCE_SETTING}', true), '') AS silence) c`;
  const table = literal(spec.table);
  // Rows of an entity the module records itself for now (applyRestore) are left out; read once per statement.
  const heard = (id: string) =>
    `(c.silence IS NULL OR strpos(c.silence, chr(30) || ${table} || chr(31) || (${id}) || chr(30)) = 0)`;
  return `
${specComment(spec)}
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    ${columns}
    SELECT ${table}, '*', 'delete', NULL, NULL, ${context},
      COALESCE(${metadata}, '{}'::jsonb) || '{"truncate": true}'::jsonb, ${transaction}
      FROM ${ctx};
  ELSIF TG_OP = 'INSERT' THEN
    ${columns}
    SELECT ${table}, ${entityId(spec, 'n')}, 'create', NULL, ${object(spec.columns, 'n')},
      ${context}, ${metadata}, ${transaction}
      FROM ${NEW_TABLE} n CROSS JOIN ${ctx}
     WHERE ${heard(entityId(spec, 'n'))};
  ELSIF TG_OP = 'DELETE' THEN
    ${columns}
    SELECT ${table}, ${entityId(spec, 'o')}, 'delete', ${object(spec.columns, 'o')}, NULL,
      ${context}, ${metadata}, ${transaction}
      FROM ${OLD_TABLE} o CROSS JOIN ${ctx}
     WHERE ${heard(entityId(spec, 'o'))};
  ELSE
    -- Old and new rows are paired on the key. A row whose key the statement changed has no partner:
    -- it is recorded as the delete of the old key and the create of the new one.
    ${columns}
    SELECT ${table},
      CASE WHEN n.${ORDINAL} IS NULL THEN ${entityId(spec, 'o')} ELSE ${entityId(spec, 'n')} END,
      a.act,
      CASE a.act WHEN 'create' THEN NULL WHEN 'delete' THEN ${object(spec.columns, 'o')}
        WHEN 'update' THEN NULLIF(${diff(spec.columns, 'o')}, '{}'::jsonb)
        ELSE NULLIF(${object(spec.columns, 'o')}, '{}'::jsonb) END,
      CASE a.act WHEN 'delete' THEN NULL WHEN 'create' THEN ${object(spec.columns, 'n')}
        WHEN 'restore' THEN NULLIF(${object(spec.columns, 'n')}, '{}'::jsonb)
        ELSE NULLIF(${diff(spec.columns, 'n')}, '{}'::jsonb) END,
      ${context}, ${metadata}, ${transaction}
      FROM ${numbered(OLD_TABLE)} o
      FULL JOIN ${numbered(NEW_TABLE)} n ON ${keyJoin(spec)}
      CROSS JOIN LATERAL (SELECT ${act} AS act) a
      CROSS JOIN ${ctx}
     WHERE (a.act <> 'update' OR ${moved})
       AND ${heard(`CASE WHEN n.${ORDINAL} IS NULL THEN ${entityId(spec, 'o')} ELSE ${entityId(spec, 'n')} END`)}
     ORDER BY COALESCE(n.${ORDINAL}, o.${ORDINAL}), n.${ORDINAL} NULLS FIRST;
  END IF;
  RETURN NULL;
END
`;
}

/** Text that is JSON becomes that JSON; anything else stays a string (a simple-json column written by hand). */
const JSON_HELPER = `CREATE OR REPLACE FUNCTION audit_trail_json(value text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $audit$
BEGIN
  RETURN value::jsonb;
EXCEPTION WHEN others THEN
  RETURN to_jsonb(value);
END
$audit$`;

export const postgresTriggers: TriggerDialect = {
  install(spec) {
    const table = q(spec.table);
    const fn = q(postgresFunctionName(spec.table));
    const create = (name: string, event: string, transitions: string) =>
      `CREATE TRIGGER ${name} AFTER ${event} ON ${table}${transitions} FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`;
    return [
      JSON_HELPER,
      `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $audit$${functionBody(spec)}$audit$`,
      ...[LEGACY_ROW_TRIGGER, ...TRIGGERS].map((name) => `DROP TRIGGER IF EXISTS ${name} ON ${table}`),
      create(INSERT_TRIGGER, 'INSERT', ` REFERENCING NEW TABLE AS ${NEW_TABLE}`),
      create(UPDATE_TRIGGER, 'UPDATE', ` REFERENCING OLD TABLE AS ${OLD_TABLE} NEW TABLE AS ${NEW_TABLE}`),
      create(DELETE_TRIGGER, 'DELETE', ` REFERENCING OLD TABLE AS ${OLD_TABLE}`),
      create(TRUNCATE_TRIGGER, 'TRUNCATE', ''),
    ];
  },
  uninstall(table) {
    return [
      ...[LEGACY_ROW_TRIGGER, ...TRIGGERS].map((name) => `DROP TRIGGER IF EXISTS ${name} ON ${q(table)}`),
      `DROP FUNCTION IF EXISTS ${q(postgresFunctionName(table))}()`,
    ];
  },
  triggerNames: () => [...TRIGGERS],
  installedQuery: () => [
    `SELECT c.relname AS table_name, t.tgname AS trigger_name, p.prosrc AS body
       FROM pg_trigger t
       JOIN pg_class c ON c.oid = t.tgrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_proc p ON p.oid = t.tgfoid
      WHERE NOT t.tgisinternal AND n.nspname = current_schema() AND t.tgname IN ($1, $2, $3, $4, $5)`,
    [LEGACY_ROW_TRIGGER, ...TRIGGERS],
  ],
};
