import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { portFrom, shopConfigFromEnv } from './config/shop-config';
import { type GatewaySandbox, sandboxLatencyFromEnv, startGatewaySandbox } from './sandbox/gateway-sandbox';
import { DEMO_EXPLORER_PASSWORD, DEMO_EXPLORER_USER } from './explorer/demo-basic-auth.guard';
import { createShop } from './shop';

/**
 * `npm run start:shop`: the shop on PORT (default 3000) and HOST (default 127.0.0.1), on DATABASE_URL
 * or on `.tmp/shop.sqlite`, talking to BCA_URL and JNE_URL or, when either is unset, to the gateway
 * sandbox started here on free loopback ports.
 */
async function main(): Promise<void> {
  const logger = new Logger('Shop');
  const env = process.env;
  const port = portFrom('PORT', env.PORT, 3000);
  const host = env.HOST || '127.0.0.1';
  const folder = join(process.cwd(), '.tmp');
  mkdirSync(folder, { recursive: true });

  let sandbox: GatewaySandbox | undefined;
  if (!env.BCA_URL || !env.JNE_URL) {
    sandbox = await startGatewaySandbox({ latency: sandboxLatencyFromEnv(env) });
    logger.log(`gateway sandbox: bca at ${sandbox.bca.url}, jne at ${sandbox.jne.url}`);
  }
  try {
    const config = shopConfigFromEnv(env, {
      bcaUrl: sandbox?.bca.url,
      jneUrl: sandbox?.jne.url,
      sqliteFile: join(folder, 'shop.sqlite'),
    });
    const app = await createShop(config);
    const stop = async (signal: string) => {
      logger.log(`${signal}: closing`);
      await app.close();
      await sandbox?.close();
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
    await app.listen(port, host);
    const database = env.DATABASE_URL ? config.database.type : `SQLite at ${join(folder, 'shop.sqlite')}`;
    logger.log(`shop listening on http://${host}:${port} (database: ${database})`);
    logger.log(
      `trail explorer: http://${host}:${port}/audit (demo login ${DEMO_EXPLORER_USER} / ${DEMO_EXPLORER_PASSWORD})`,
    );
    logger.log(
      `try: curl -si -X POST http://${host}:${port}/checkout -H 'content-type: application/json' ` +
        `-d '{"customerId":"cust-42","amount":150000}'`,
    );
  } catch (error) {
    await sandbox?.close();
    throw error;
  }
}

main().catch((error: Error) => {
  console.error(`shop failed to start: ${error.message}`);
  process.exitCode = 1;
});
