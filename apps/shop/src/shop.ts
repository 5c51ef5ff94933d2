import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import type { ShopConfig } from './config/shop-config';

/** The shop as one Nest application, initialised but not yet listening. */
export async function createShop(
  config: ShopConfig,
  logger: LogLevel[] | false = ['log', 'warn', 'error'],
): Promise<INestApplication> {
  // Without abortOnError: false, Nest calls process.abort() on a start-up error (a database that
  // does not answer, a bad audit option) instead of letting the caller report it.
  const app = await NestFactory.create(AppModule.forRoot(config), { logger, abortOnError: false });
  await app.init();
  return app;
}
