import { CONTEXT_SETTING, type TriggerDialect } from './trigger-dialect';
import { type TableTriggerSpec, type TriggerColumn, assertSafeName, shortName, specComment } from './trigger-spec';

const ROW_TRIGGER = 'audit_trail_row';
const TRUNCATE_TRIGGER = 'audit_trail_truncate';
const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
// jsonb_build_object takes at most 100 arguments, so wide rows are built in chunks and joined with ||.
const PAIRS_PER_OBJECT = 50;

const q = (name: string) => `"${assertSafeName(name)}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** Function names are per table; a long table name is shortened with a hash like index names are. */
export function postgresFunctionName(table: string): string {
  return shortName(table, 'capture');
}

/** The column's value as jsonb, formatted as ORM mode formats it. */
function value(column: TriggerColumn, row: 'OLD' | 'NEW'): string {
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

function object(columns: readonly TriggerColumn[], row: 'OLD' | 'NEW'): string {
  if (columns.length === 0) return `'{}'::jsonb`;
  const chunks: string[] = [];
  for (let start = 0; start < columns.length; start += PAIRS_PER_OBJECT) {
    const pairs = columns
      .slice(start, start + PAIRS_PER_OBJECT)
      .map((column) => `${literal(column.name)}, ${value(column, row)}`);
    chunks.push(`jsonb_build_object(${pairs.join(', ')})`);
  }
  return chunks.join(' || ');
}

/** `entity_id`: the key as text, a compound key as compact JSON array text (`[1,"a"]`), as ORM mode writes it. */
function entityId(spec: TableTriggerSpec, row: 'OLD' | 'NEW'): string {
  if (spec.primaryKey.length === 1) return `(${value(spec.primaryKey[0], row)}) #>> '{}'`;
  return `'[' || concat_ws(',', ${spec.primaryKey.map((column) => `(${value(column, row)})::text`).join(', ')}) || ']'`;
}

function changed(column: TriggerColumn): string {
  const ref = (row: string) => `${row}.${q(column.name)}${column.kind === 'json' ? '::text' : ''}`;
  return `${ref('OLD')} IS DISTINCT FROM ${ref('NEW')}`;
}

function functionBody(spec: TableTriggerSpec): string {
  const bookkeeping = new Set(spec.bookkeeping);
  const diffs = spec.columns.map(
    (column) =>
      `    IF ${changed(column)} THEN\n` +
      `      old_v := old_v || jsonb_build_object(${literal(column.name)}, ${value(column, 'OLD')});\n` +
      `      new_v := new_v || jsonb_build_object(${literal(column.name)}, ${value(column, 'NEW')});\n` +
      (bookkeeping.has(column.name) ? '' : '      moved := true;\n') +
      `    END IF;`,
  );
  const deleteDate = spec.deleteDate ? q(spec.deleteDate) : undefined;
  const action = deleteDate
    ? `    IF OLD.${deleteDate} IS NULL AND NEW.${deleteDate} IS NOT NULL THEN act := 'soft_delete';\n` +
      `    ELSIF OLD.${deleteDate} IS NOT NULL AND NEW.${deleteDate} IS NULL THEN act := 'restore';\n` +
      `    END IF;`
    : '';
  const insert = (id: string, action: string, oldValues: string, newValues: string, metadata: string) =>
    `INSERT INTO ${q(spec.auditTable)} (entity_type, entity_id, action, old_values, new_values, user_id, user_type, metadata, transaction_id, created_at)\n` +
    `    VALUES (${literal(spec.table)}, ${id}, ${action}, ${oldValues}, ${newValues},\n` +
    `      COALESCE(ctx->>'user_id', session_user::text), COALESCE(ctx->>'user_type', 'database'), ${metadata},\n` +
    `      COALESCE(ctx->>'transaction_id', 'db-' || txid_current()::text), clock_timestamp());`;
  const metadata = `NULLIF(ctx->'metadata', 'null'::jsonb)`;
  return `
${specComment(spec)}
DECLARE
  ctx jsonb := NULLIF(current_setting('${CONTEXT_SETTING}', true), '')::jsonb;
  act text := 'update';
  old_v jsonb := '{}'::jsonb;
  new_v jsonb := '{}'::jsonb;
  moved boolean := false;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    ${insert(`'*'`, `'delete'`, 'NULL', 'NULL', `COALESCE(${metadata}, '{}'::jsonb) || '{"truncate": true}'::jsonb`)}
    RETURN NULL;
  ELSIF TG_OP = 'INSERT' THEN
    ${insert(entityId(spec, 'NEW'), `'create'`, 'NULL', object(spec.columns, 'NEW'), metadata)}
  ELSIF TG_OP = 'DELETE' THEN
    ${insert(entityId(spec, 'OLD'), `'delete'`, object(spec.columns, 'OLD'), 'NULL', metadata)}
  ELSE
${diffs.join('\n')}
${action}
    IF act = 'update' AND NOT moved THEN
      RETURN NULL;
    ELSIF act = 'soft_delete' THEN
      old_v := ${object(spec.columns, 'OLD')};
    ELSIF act = 'restore' THEN
      old_v := ${object(spec.columns, 'OLD')};
      new_v := ${object(spec.columns, 'NEW')};
    END IF;
    ${insert(entityId(spec, 'NEW'), 'act', `NULLIF(old_v, '{}'::jsonb)`, `NULLIF(new_v, '{}'::jsonb)`, metadata)}
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
    return [
      JSON_HELPER,
      `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $audit$${functionBody(spec)}$audit$`,
      `DROP TRIGGER IF EXISTS ${ROW_TRIGGER} ON ${table}`,
      `CREATE TRIGGER ${ROW_TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
      `DROP TRIGGER IF EXISTS ${TRUNCATE_TRIGGER} ON ${table}`,
      `CREATE TRIGGER ${TRUNCATE_TRIGGER} AFTER TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
    ];
  },
  uninstall(table) {
    return [
      `DROP TRIGGER IF EXISTS ${ROW_TRIGGER} ON ${q(table)}`,
      `DROP TRIGGER IF EXISTS ${TRUNCATE_TRIGGER} ON ${q(table)}`,
      `DROP FUNCTION IF EXISTS ${q(postgresFunctionName(table))}()`,
    ];
  },
  triggerNames: () => [ROW_TRIGGER, TRUNCATE_TRIGGER],
  installedQuery: () => [
    `SELECT c.relname AS table_name, t.tgname AS trigger_name, p.prosrc AS body
       FROM pg_trigger t
       JOIN pg_class c ON c.oid = t.tgrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_proc p ON p.oid = t.tgfoid
      WHERE NOT t.tgisinternal AND n.nspname = current_schema() AND t.tgname IN ($1, $2)`,
    [ROW_TRIGGER, TRUNCATE_TRIGGER],
  ],
};
