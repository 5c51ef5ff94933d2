// A throwaway consumer of the packed tarball: plain CommonJS, no build step, decorators applied as
// functions. It boots Nest with TypeORM on SQLite, saves an entity and prints the data trail.
require('reflect-metadata');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule, getDataSourceToken } = require('@nestjs/typeorm');
const { EntitySchema } = require('typeorm');
const { AuditModule, AuditService } = require('nestjs-audit-trail');

const Order = new EntitySchema({
  name: 'Order',
  tableName: 'orders',
  columns: {
    id: { type: Number, primary: true, generated: true },
    status: { type: String },
  },
});

class AppModule {}
Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', entities: [Order], synchronize: true }),
    AuditModule.forRoot({ dataAudit: { enabled: true } }),
  ],
})(AppModule);

async function main() {
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  await app.init();
  const orders = app.get(getDataSourceToken()).getRepository('Order');
  const order = await orders.save({ status: 'pending' });
  await orders.save({ ...order, status: 'paid' });
  const rows = await app.get(AuditService).query({ entityType: 'orders' });
  await app.close();
  const versions = ['@nestjs/core', '@nestjs/typeorm', 'typeorm', 'nestjs-cls'].map(
    (name) => `${name}@${JSON.parse(readFileSync(join('node_modules', name, 'package.json'), 'utf8')).version}`,
  );
  console.log(`versions: ${versions.join(' ')}`);
  for (const row of rows.reverse()) {
    console.log(`[data] ${row.action} ${row.entityType}#${row.entityId} ${JSON.stringify(row.newValues)}`);
  }
  const actions = rows.map((row) => row.action).join(',');
  if (actions !== 'create,update') throw new Error(`expected create,update rows, got "${actions}"`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
