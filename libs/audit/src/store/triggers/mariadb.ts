import { CONTEXT_VARIABLES, SILENCE_VARIABLE, type TriggerDialect } from './trigger-dialect';
import { type TableTriggerSpec, type TriggerColumn, assertSafeName, shortName, specComment } from './trigger-spec';

const EVENTS = ['insert', 'update', 'delete'] as const;
const q = (name: string) => `\`${assertSafeName(name)}\``;
const literal = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
const path = (name: string) => literal(`$."${name}"`);
const ctx = CONTEXT_VARIABLES;

/** The column's value as a JSON_OBJECT / JSON_SET argument, formatted as ORM mode formats it. */
function value(column: TriggerColumn, row: string): string {
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

function object(columns: readonly TriggerColumn[], row: string): string {
  if (columns.length === 0) return `'{}'`;
  return `JSON_OBJECT(${columns.map((column) => `${literal(column.name)}, ${value(column, row)}`).join(', ')})`;
}

function entityId(spec: Pick<TableTriggerSpec, 'primaryKey'>, row: string): string {
  if (spec.primaryKey.length === 1) return `CAST(${row}.${q(spec.primaryKey[0].name)} AS CHAR)`;
  return `JSON_COMPACT(JSON_ARRAY(${spec.primaryKey.map((column) => value(column, row)).join(', ')}))`;
}

// A write with no context gets the database user and an ID of its connection and statement: NOW(6)
// is the instant the triggering statement began, the same for all its rows. (InnoDB's trx_id is only
// visible through INNODB_TRX, a cache refreshed every 0.1 s, which gave two statements one ID.)
const CONTEXT_COLUMNS =
  `COALESCE(${ctx.user_id}, SUBSTRING_INDEX(USER(), '@', 1)), ` +
  `COALESCE(${ctx.user_type}, 'database'), ${ctx.metadata}, ` +
  `COALESCE(${ctx.transaction_id}, CONCAT('db-', CONNECTION_ID(), '-', DATE_FORMAT(NOW(6), '%Y%m%d%H%i%s%f'))), ` +
  `UTC_TIMESTAMP(3)`;

function insert(
  spec: Pick<TableTriggerSpec, 'table' | 'auditTable'>,
  id: string,
  action: string,
  oldValues: string,
  newValues: string,
): string {
  return (
    `INSERT INTO ${q(spec.auditTable)} (entity_type, entity_id, action, old_values, new_values, user_id, user_type, metadata, transaction_id, created_at) ` +
    `VALUES (${literal(spec.table)}, ${id}, ${action}, ${oldValues}, ${newValues}, ${CONTEXT_COLUMNS});`
  );
}

/** Whether the entity's changes are recorded now: not while the module records them itself (applyRestore). */
function heard(spec: Pick<TableTriggerSpec, 'table'>, id: string): string {
  const mark = (code: number) => `CHAR(${code} USING utf8mb4)`;
  return (
    `(${SILENCE_VARIABLE} IS NULL OR ` +
    `LOCATE(CONCAT(${mark(30)}, ${literal(spec.table)}, ${mark(31)}, ${id}, ${mark(30)}), ${SILENCE_VARIABLE}) = 0)`
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
    `  IF (act <> 'update' OR moved = 1) AND ${heard(spec, entityId(spec, 'NEW'))} THEN\n    ` +
    insert(spec, entityId(spec, 'NEW'), 'act', `NULLIF(old_v, '{}')`, `NULLIF(new_v, '{}')`) +
    `\n  END IF;`
  );
}

/**
 * InnoDB runs no trigger for rows its foreign keys delete or null, so the parent's BEFORE DELETE
 * trigger records them while they are still there; a failed delete rolls these rows back with it.
 */
function cascadeBody(spec: TableTriggerSpec): string | undefined {
  const statements = spec.cascades.flatMap((cascade) => {
    const child = { table: cascade.child.table, auditTable: spec.auditTable };
    const where = cascade.columns
      .map((column, i) => `c.${q(column)} <=> OLD.${q(cascade.referenced[i])}`)
      .join(' AND ');
    const from = ` FROM ${q(cascade.child.table)} c WHERE ${where};`;
    const id = entityId(cascade.child, 'c');
    if (cascade.onDelete === 'CASCADE') {
      return [insertSelect(child, id, `'delete'`, object(cascade.child.columns, 'c'), 'NULL') + from];
    }
    const nulled = cascade.child.columns.filter((column) => cascade.columns.includes(column.name));
    if (nulled.length === 0) return [];
    const nulls = `JSON_OBJECT(${nulled.map((column) => `${literal(column.name)}, NULL`).join(', ')})`;
    return [
      insertSelect(child, id, `'update'`, object(nulled, 'c'), nulls) +
        from.replace(
          ' WHERE ',
          ` WHERE ${nulled.map((column) => `c.${q(column.name)} IS NOT NULL`).join(' AND ')} AND `,
        ),
    ];
  });
  return statements.length ? statements.map((statement) => `  ${statement}`).join('\n') : undefined;
}

function insertSelect(
  spec: Pick<TableTriggerSpec, 'table' | 'auditTable'>,
  id: string,
  action: string,
  oldValues: string,
  newValues: string,
): string {
  return (
    `INSERT INTO ${q(spec.auditTable)} (entity_type, entity_id, action, old_values, new_values, user_id, user_type, metadata, transaction_id, created_at) ` +
    `SELECT ${literal(spec.table)}, ${id}, ${action}, ${oldValues}, ${newValues}, ${CONTEXT_COLUMNS}`
  );
}

const CASCADE_EVENT = 'cascade';

export const mariadbTriggers: TriggerDialect = {
  install(spec) {
    const table = q(spec.table);
    const bodies: Record<(typeof EVENTS)[number], string> = {
      insert:
        `  IF ${heard(spec, entityId(spec, 'NEW'))} THEN\n    ` +
        `${insert(spec, entityId(spec, 'NEW'), `'create'`, 'NULL', object(spec.columns, 'NEW'))}\n  END IF;`,
      delete:
        `  IF ${heard(spec, entityId(spec, 'OLD'))} THEN\n    ` +
        `${insert(spec, entityId(spec, 'OLD'), `'delete'`, object(spec.columns, 'OLD'), 'NULL')}\n  END IF;`,
      update: updateBody(spec),
    };
    const cascades = cascadeBody(spec);
    const cascadeName = q(shortName(spec.table, CASCADE_EVENT));
    return [
      ...EVENTS.flatMap((event) => {
        const name = q(shortName(spec.table, event));
        return [
          `DROP TRIGGER IF EXISTS ${name}`,
          `CREATE TRIGGER ${name} AFTER ${event.toUpperCase()} ON ${table} FOR EACH ROW BEGIN\n` +
            `  ${specComment(spec)}\n${bodies[event]}\nEND`,
        ];
      }),
      `DROP TRIGGER IF EXISTS ${cascadeName}`,
      ...(cascades
        ? [
            `CREATE TRIGGER ${cascadeName} BEFORE DELETE ON ${table} FOR EACH ROW BEGIN\n  ${specComment(spec)}\n${cascades}\nEND`,
          ]
        : []),
    ];
  },
  uninstall: (table) =>
    [...EVENTS, CASCADE_EVENT].map((event) => `DROP TRIGGER IF EXISTS ${q(shortName(table, event))}`),
  triggerNames: (table) => EVENTS.map((event) => shortName(table, event)),
  installedQuery: () => [
    `SELECT EVENT_OBJECT_TABLE AS table_name, TRIGGER_NAME AS trigger_name, ACTION_STATEMENT AS body
       FROM information_schema.TRIGGERS
      WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME LIKE 'audit\\_trail\\_%'`,
    [],
  ],
};
