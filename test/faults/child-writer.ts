/**
 * A child process that writes under load until it is killed: each unit of work saves a product and
 * calls the bank inside one database transaction, and makes one call outside any. Run by
 * kill.fault-spec.ts with `node -r ./ts-hook.js child-writer.ts <dataSource JSON> <gateway> <writeAhead>`.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource, DataSourceOptions } from 'typeorm';
import { AuditModule } from '../../libs/audit/src';
import { Product } from '../support/product.entity';

async function main(): Promise<void> {
  const [options, gateway, writeAhead] = [
    JSON.parse(process.argv[2]) as DataSourceOptions,
    process.argv[3],
    process.argv[4],
  ];

  @Module({
    imports: [
      TypeOrmModule.forRoot({ ...options, entities: [Product], synchronize: false }),
      AuditModule.forRoot({
        dataAudit: { enabled: true },
        apiAudit: {
          enabled: true,
          services: { [gateway]: 'bank' },
          writeAhead: writeAhead === 'on' ? ['bank'] : false,
        },
      }),
    ],
  })
  class ChildModule {}

  const app = await NestFactory.createApplicationContext(ChildModule, { logger: false });
  const dataSource = app.get<DataSource>(getDataSourceToken());
  process.stdout.write('ready\n');
  let n = 0;
  const worker = async (id: number): Promise<void> => {
    for (;;) {
      const unit = `${process.pid}-${id}-${++n}`;
      await dataSource.transaction(async (manager) => {
        await manager.save(Product, manager.create(Product, { name: `p-${unit}`, price: 1 }));
        await (await fetch(`${gateway}/pay/in-${unit}`, { method: 'POST', body: '{}' })).text();
      });
      await (await fetch(`${gateway}/pay/out-${unit}`)).text();
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, id) => worker(id)));
}

void main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
