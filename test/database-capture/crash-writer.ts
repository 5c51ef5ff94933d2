/**
 * A child process writing in database-capture mode until it is killed: eight workers, each looping
 * over a save (a transaction), a QueryBuilder insert and a raw INSERT (each outside any). Run by
 * crash.e2e-spec.ts with `node -r ../faults/ts-hook.js crash-writer.ts <dataSource JSON>`.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource, DataSourceOptions } from 'typeorm';
import { AuditModule } from '../../libs/audit/src';
import { Product } from '../support/product.entity';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2]) as DataSourceOptions;

  @Module({
    imports: [
      TypeOrmModule.forRoot({ ...options, entities: [Product], synchronize: false }),
      AuditModule.forRoot({ dataAudit: { enabled: true, capture: 'database' } }),
    ],
  })
  class ChildModule {}

  const app = await NestFactory.createApplicationContext(ChildModule, { logger: false });
  const dataSource = app.get<DataSource>(getDataSourceToken());
  process.stdout.write('ready\n');
  let n = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const unit = `${process.pid}-${++n}`;
      await dataSource.getRepository(Product).save({ name: `s-${unit}`, price: 1 });
      await dataSource
        .createQueryBuilder()
        .insert()
        .into(Product)
        .values({ name: `q-${unit}`, price: 2 })
        .execute();
      await dataSource.query(`INSERT INTO products (name, price) VALUES ('r-${unit}', 3)`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, () => worker()));
}

void main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
