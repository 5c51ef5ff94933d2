import 'reflect-metadata';
import { mkdirSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { type TrailRows, checkoutTrailProblem, trailLines } from './audit/trail-printout';
import { ShopConfigError, shopConfigFromEnv } from './config/shop-config';
import { type GatewaySandbox, sandboxLatencyFromEnv, startGatewaySandbox } from './sandbox/gateway-sandbox';
import { createShop } from './shop';

/** A demo step that did not go as it should; its message is what the user sees. */
class DemoFailure extends Error {}

interface JsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/**
 * A JSON call to the shop with node:http. Not fetch: the demo shares its process with the shop,
 * whose API trail records calls made with the global fetch, and the demo's own calls are not part of
 * the story.
 */
function call(method: string, url: string, body?: unknown): Promise<JsonResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method, headers: payload ? { 'content-type': 'application/json' } : {}, timeout: 30_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON: kept as text for the failure message.
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: parsed });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${url} got no answer within 30 s`)));
    request.on('error', reject);
    request.end(payload);
  });
}

/**
 * `npm run demo`: boots the shop (embedded SQLite under .tmp/demo, or DATABASE_URL) and the gateway
 * sandbox, runs one checkout over real HTTP, and prints its trail (README.md shows the output).
 */
async function demo(): Promise<void> {
  const env = process.env;
  const folder = join(process.cwd(), '.tmp', 'demo');
  if (!env.DATABASE_URL) {
    // A fresh database each run, so the story starts at order #1; it stays there to be inspected.
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
  }
  let sandbox: GatewaySandbox | undefined;
  let app: INestApplication | undefined;
  try {
    if (!env.BCA_URL || !env.JNE_URL) sandbox = await startGatewaySandbox({ latency: sandboxLatencyFromEnv(env) });
    const config = {
      ...shopConfigFromEnv(env, {
        bcaUrl: sandbox?.bca.url,
        jneUrl: sandbox?.jne.url,
        sqliteFile: join(folder, 'shop.sqlite'),
      }),
      // One quick retry: a demo pointed at a database that is not there should say so, not wait 30 s.
      databaseRetries: 1,
    };
    try {
      // Silent while starting: a failure is reported once, below, rather than as Nest's stack traces.
      app = await createShop(config, false);
    } catch (error) {
      throw new DemoFailure(`the shop did not start on ${config.database.type}: ${(error as Error).message}`);
    }
    // Then warnings and errors only: the demo's output is the trail.
    app.useLogger(['warn', 'error']);
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const shop = `http://127.0.0.1:${port}`;

    const checkout = await call('POST', `${shop}/checkout`, { customerId: 'cust-42', amount: 150000 });
    if (checkout.status !== 201) {
      throw new DemoFailure(`POST /checkout answered ${checkout.status}: ${JSON.stringify(checkout.body)}`);
    }
    const transactionId = checkout.headers['x-transaction-id'];
    if (typeof transactionId !== 'string' || transactionId === '') {
      throw new DemoFailure('POST /checkout answered 201 without an X-Transaction-Id header');
    }
    const order = checkout.body.order;
    console.log(
      `POST /checkout -> ${checkout.status}, order #${order.id} ${order.status}, transaction ${transactionId}`,
    );

    const path = `/audit/transactions/${encodeURIComponent(transactionId)}`;
    const trail = await call('GET', `${shop}${path}`);
    if (trail.status !== 200) {
      throw new DemoFailure(`GET ${path} answered ${trail.status}: ${JSON.stringify(trail.body)}`);
    }
    const rows = trail.body as TrailRows;
    console.log(`GET ${path} -> ${trail.status}\n`);
    console.log(trailLines(rows).join('\n'));
    const problem = checkoutTrailProblem(rows, order.id);
    if (problem) throw new DemoFailure(problem);
  } finally {
    await app?.close();
    await sandbox?.close();
  }
}

demo().catch((error: Error) => {
  const expected = error instanceof DemoFailure || error instanceof ShopConfigError;
  console.error(`\ndemo failed: ${expected ? error.message : (error.stack ?? error.message)}`);
  process.exitCode = 1;
});
