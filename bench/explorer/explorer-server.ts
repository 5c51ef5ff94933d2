import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AddressInfo } from 'node:net';
import { AuditExplorerModule, AuditModule } from 'nestjs-audit-trail';

/**
 * The application under measurement, in its own process so that its memory is its own: TypeORM on
 * DATABASE_URL (PostgreSQL), the audit module and the explorer (public: a loopback bench only).
 * Prints `listening <port>` once it serves.
 */
@Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'postgres', url: process.env.DATABASE_URL, entities: [], synchronize: false }),
    AuditModule.forRoot({ dataAudit: { enabled: true }, apiAudit: { enabled: true } }),
    AuditExplorerModule.forRoot({ path: '/audit', public: true }),
  ],
})
class ExplorerBenchModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(ExplorerBenchModule, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`listening ${(app.getHttpServer().address() as AddressInfo).port}\n`);
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
