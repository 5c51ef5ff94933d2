import { DataSource } from 'typeorm';
import { createAuditMigration, createAuditTriggerMigration } from 'nestjs-audit-trail';
import { Product, Session } from '../support/product.entity';
import { describeEachDialect, testDatabase } from '../support/test-app';
import { otherClient } from './support';

describeEachDialect('database capture: triggers installed by a migration', (dialect) => {
  it('the generated migration installs the triggers (exclusions applied) and removes them on revert', async () => {
    const options = await testDatabase(dialect, [Product, Session]);
    const dataSource = await new DataSource({
      ...options,
      migrations: [
        createAuditMigration(),
        createAuditTriggerMigration({ excludeFields: ['secret_code'], excludeEntities: ['sessions'] }),
      ],
    } as typeof options).initialize();
    try {
      await dataSource.runMigrations();
      const other = await otherClient(dataSource);
      try {
        await other.query(`INSERT INTO products (name, price, secret_code) VALUES ('from-psql', 1, 'x')`);
        await other.query(`INSERT INTO sessions (token) VALUES ('t')`);
      } finally {
        await other.close();
      }
      const rows = await dataSource.query(`SELECT entity_type, action, user_type, new_values FROM audit_logs`);
      expect(rows.map((row: { entity_type: string; action: string }) => `${row.entity_type}:${row.action}`)).toEqual([
        'products:create',
      ]);
      expect(String(JSON.stringify(rows[0].new_values))).not.toContain('secret_code');
      expect(rows[0].user_type).toBe('database');

      await dataSource.undoLastMigration();
      await dataSource.query(`INSERT INTO products (name, price) VALUES ('after-revert', 1)`);
      expect(await dataSource.query(`SELECT entity_type FROM audit_logs`)).toHaveLength(1);
    } finally {
      await dataSource.destroy();
    }
  });
});
