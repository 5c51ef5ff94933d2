import { CONTEXT_VARIABLE, type TriggerDialect } from './trigger-dialect';
import { type TableTriggerSpec, type TriggerColumn, assertSafeName, shortName, specComment } from './trigger-spec';

const EVENTS = ['insert', 'update', 'delete'] as const;
const q = (name: string) => `\`${assertSafeName(name)}\``;
const literal = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
const path = (name: string) => literal(`$."${name}"`);
const ctx = CONTEXT_VARIABLE;

/** The column's value as a JSON_OBJECT / JSON_SET argument, formatted as ORM mode formats it. */
function value(column: TriggerColumn, row: 'OLD' | 'NEW'): string {
  const ref = `${row}.${q(column.name)}`;
  switch (column.kind) {
    case 'boolean':
      // JSON_EXTRACT yields a JSON true/false that JSON_OBJECT embeds as such, not as 1/0.
      return `IF(${ref} IS NULL, NULL, IF(${ref}, JSON_EXTRACT('true', '$'), JSON_EXTRACT('false', '$')))`;
    case 'json':
      // Through JSON_EXTRACT either way, so the result stays JSON (a bare IF() would hand back text).
      return `JSON_EXTRACT(IF(JSON_VALID(${ref}), ${ref}, JSON_QUOTE(${ref})), '$')`;
    case 'timestamp':
    case 'timestamptz':
      return `CONCAT(DATE_FORMAT(${ref}, '%Y-%m-%dT%H:%i:%s.'), LEFT(DATE_FORMAT(${ref}, '%f'), 3), 'Z')`;
    case 'decimal':
    case 'bigint':
      return `CAST(${ref} AS CHAR)`;
    case 'binary':
      return `REPLACE(TO_BASE64(${ref}), CHAR(10), '')`;
    default:
      return ref;
  }
}

function object(columns: readonly TriggerColumn[], row: 'OLD' | 'NEW'): string {
  if (columns.length === 0) return `'{}'`;
  return `JSON_OBJECT(${columns.map((column) => `${literal(column.name)}, ${value(column, row)}`).join(', ')})`;
}

function entityId(spec: TableTriggerSpec, row: 'OLD' | 'NEW'): string {
  if (spec.primaryKey.length === 1) return `CAST(${row}.${q(spec.primaryKey[0].name)} AS CHAR)`;
  return `JSON_COMPACT(JSON_ARRAY(${spec.primaryKey.map((column) => value(column, row)).join(', ')}))`;
}

// A write with no context gets the database user and an ID of its own InnoDB transaction.
const CONTEXT_COLUMNS =
  `COALESCE(JSON_VALUE(${ctx}, '$.user_id'), SUBSTRING_INDEX(USER(), '@', 1)), ` +
  `COALESCE(JSON_VALUE(${ctx}, '$.user_type'), 'database'), JSON_QUERY(${ctx}, '$.metadata'), ` +
  `IF(JSON_VALUE(${ctx}, '$.transaction_id') IS NULL, CONCAT('db-', CONNECTION_ID(), '-', ` +
  `COALESCE((SELECT trx_id FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = CONNECTION_ID() LIMIT 1), '0')), ` +
  `JSON_VALUE(${ctx}, '$.transaction_id')), UTC_TIMESTAMP(3)`;

function insert(spec: TableTriggerSpec, id: string, action: string, oldValues: string, newValues: string): string {
  return (
    `INSERT INTO ${q(spec.auditTable)} (entity_type, entity_id, action, old_values, new_values, user_id, user_type, metadata, transaction_id, created_at) ` +
    `VALUES (${literal(spec.table)}, ${id}, ${action}, ${oldValues}, ${newValues}, ${CONTEXT_COLUMNS});`
  );
}

function updateBody(spec: TableTriggerSpec): string {
  const bookkeeping = new Set(spec.bookkeeping);
  const diffs = spec.columns.map(
    (column) =>
      `  IF NOT (OLD.${q(column.name)} <=> NEW.${q(column.name)}) THEN ` +
      `SET old_v = JSON_SET(old_v, ${path(column.name)}, ${value(column, 'OLD')}), ` +
      `new_v = JSON_SET(new_v, ${path(column.name)}, ${value(column, 'NEW')})` +
      `${bookkeeping.has(column.name) ? '' : ', moved = 1'}; END IF;`,
  );
  const dd = spec.deleteDate ? q(spec.deleteDate) : undefined;
  const action = dd
    ? `  IF OLD.${dd} IS NULL AND NEW.${dd} IS NOT NULL THEN SET act = 'soft_delete', old_v = ${object(spec.columns, 'OLD')};\n` +
      `  ELSEIF OLD.${dd} IS NOT NULL AND NEW.${dd} IS NULL THEN SET act = 'restore', old_v = ${object(spec.columns, 'OLD')}, new_v = ${object(spec.columns, 'NEW')};\n` +
      `  END IF;\n`
    : '';
  return (
    `  DECLARE act VARCHAR(20) DEFAULT 'update';\n` +
    `  DECLARE old_v LONGTEXT DEFAULT '{}';\n` +
    `  DECLARE new_v LONGTEXT DEFAULT '{}';\n` +
    `  DECLARE moved INT DEFAULT 0;\n` +
    `${diffs.join('\n')}\n${action}` +
    `  IF act <> 'update' OR moved = 1 THEN\n    ` +
    insert(spec, entityId(spec, 'NEW'), 'act', `NULLIF(old_v, '{}')`, `NULLIF(new_v, '{}')`) +
    `\n  END IF;`
  );
}

export const mariadbTriggers: TriggerDialect = {
  install(spec) {
    const table = q(spec.table);
    const bodies: Record<(typeof EVENTS)[number], string> = {
      insert: `  ${insert(spec, entityId(spec, 'NEW'), `'create'`, 'NULL', object(spec.columns, 'NEW'))}`,
      delete: `  ${insert(spec, entityId(spec, 'OLD'), `'delete'`, object(spec.columns, 'OLD'), 'NULL')}`,
      update: updateBody(spec),
    };
    return EVENTS.flatMap((event) => {
      const name = q(shortName(spec.table, event));
      return [
        `DROP TRIGGER IF EXISTS ${name}`,
        `CREATE TRIGGER ${name} AFTER ${event.toUpperCase()} ON ${table} FOR EACH ROW BEGIN\n` +
          `  ${specComment(spec)}\n${bodies[event]}\nEND`,
      ];
    });
  },
  uninstall: (table) => EVENTS.map((event) => `DROP TRIGGER IF EXISTS ${q(shortName(table, event))}`),
  triggerNames: (table) => EVENTS.map((event) => shortName(table, event)),
  installedQuery: () => [
    `SELECT EVENT_OBJECT_TABLE AS table_name, TRIGGER_NAME AS trigger_name, ACTION_STATEMENT AS body
       FROM information_schema.TRIGGERS
      WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME LIKE 'audit\\_trail\\_%'`,
    [],
  ],
};
