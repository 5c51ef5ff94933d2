import type { DataSource } from 'typeorm';
import type { Dialect } from './bench-databases';

const CONSTANT_ROW = `(entity_type, entity_id, action, user_id, user_type, transaction_id, created_at)`;

/**
 * Replaces the capture triggers on `table` (installed by database mode) with ones that write, for
 * every row inserted or updated, one audit row of constant values: no JSON, no context, no diff.
 * What remains is the least any trigger must do that writes one audit row per change into the
 * shared audit table with the indexes it is required to have, which bounds what database mode can
 * reach. Deletes keep the real trigger (the bench does not delete).
 */
export async function installFloorTriggers(dataSource: DataSource, dialect: Dialect, table: string): Promise<void> {
  if (dialect === 'postgres') {
    const [row]: Array<{ name: string }> = await dataSource.query(
      `SELECT p.proname AS name FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relname = $1 AND t.tgname = 'audit_trail_insert'`,
      [table],
    );
    if (!row) throw new Error(`bench: no capture trigger on ${table}`);
    const insert = (action: string) =>
      `INSERT INTO audit_logs ${CONSTANT_ROW} SELECT '${table}', '0', '${action}', 'u', 'user', 't', now() FROM audit_new;`;
    await dataSource.query(
      `CREATE OR REPLACE FUNCTION "${row.name}"() RETURNS trigger LANGUAGE plpgsql AS $floor$
       BEGIN
         IF TG_OP = 'INSERT' THEN ${insert('create')}
         ELSIF TG_OP = 'UPDATE' THEN ${insert('update')}
         END IF;
         RETURN NULL;
       END $floor$`,
    );
    return;
  }
  if (dialect === 'mariadb') {
    for (const [event, action] of [
      ['INSERT', 'create'],
      ['UPDATE', 'update'],
    ]) {
      const [row]: Array<{ name: string }> = await dataSource.query(
        `SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS
          WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = ? AND EVENT_MANIPULATION = ? AND ACTION_TIMING = 'AFTER'`,
        [table, event],
      );
      if (!row) throw new Error(`bench: no ${event} capture trigger on ${table}`);
      await dataSource.query(`DROP TRIGGER \`${row.name}\``);
      await dataSource.query(
        `CREATE TRIGGER \`${row.name}\` AFTER ${event} ON \`${table}\` FOR EACH ROW
         INSERT INTO audit_logs ${CONSTANT_ROW} VALUES ('${table}', '0', '${action}', 'u', 'user', 't', UTC_TIMESTAMP(3))`,
      );
    }
    return;
  }
  throw new Error(`bench: no floor triggers for ${dialect}`);
}
