// A throwaway consumer of the packed tarball: plain CommonJS, no build step, decorators applied as
// functions. It boots Nest with TypeORM on SQLite, saves an entity and prints the data trail.
require('reflect-metadata');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule, getDataSourceToken } = require('@nestjs/typeorm');
const { EntitySchema } = require('typeorm');
const { HttpModule, HttpService } = require('@nestjs/axios');
const { ScheduleModule } = require('@nestjs/schedule');
const { createServer } = require('node:http');
const { firstValueFrom } = require('rxjs');
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
    HttpModule,
    ScheduleModule.forRoot(),
    AuditModule.forRoot({
      dataAudit: { enabled: true },
      apiAudit: { enabled: true, redactHeaders: ['authorization'] },
      retention: { enabled: true, maxAge: '30d' },
    }),
  ],
})(AppModule);

async function main() {
  const gateway = createServer((request, response) => response.end('{"ok":true}'));
  await new Promise((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  await app.init();
  const audit = app.get(AuditService);
  const orders = app.get(getDataSourceToken()).getRepository('Order');
  const order = await orders.save({ status: 'pending' });
  await orders.save({ ...order, status: 'paid' });
  const url = `http://127.0.0.1:${gateway.address().port}/v1/ping`;
  await firstValueFrom(app.get(HttpService).post(url, {}, { headers: { Authorization: 'Bearer secret' } }));
  await audit.flushApiCalls();
  const rows = await audit.query({ entityType: 'orders' });
  const calls = await audit.queryApiCalls({});
  await app.close();
  gateway.close();
  const versions = ['@nestjs/core', '@nestjs/typeorm', 'typeorm', 'nestjs-cls', '@nestjs/axios', '@nestjs/schedule'].map(
    (name) => `${name}@${JSON.parse(readFileSync(join('node_modules', name, 'package.json'), 'utf8')).version}`,
  );
  console.log(`versions: ${versions.join(' ')}`);
  for (const row of rows.reverse()) {
    console.log(`[data] ${row.action} ${row.entityType}#${row.entityId} ${JSON.stringify(row.newValues)}`);
  }
  for (const call of calls) {
    console.log(`[api] ${call.method} ${call.service} ${call.endpoint} ${call.statusCode} ${JSON.stringify(call.requestHeaders)}`);
  }
  const actions = rows.map((row) => row.action).join(',');
  if (actions !== 'create,update') throw new Error(`expected create,update rows, got "${actions}"`);
  if (calls.length !== 1 || calls[0].requestHeaders.Authorization !== '***REDACTED***') {
    throw new Error(`expected one API row with a redacted Authorization header, got ${JSON.stringify(calls)}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
