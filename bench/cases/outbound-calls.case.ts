import { HttpModule, HttpService } from '@nestjs/axios';
import { firstValueFrom } from 'rxjs';
import type { BenchCase, BenchContext } from '../support/bench-case';
import { type BenchApp, countRows, startPair } from '../support/bench-app';
import type { Dialect } from '../support/bench-databases';
import { BenchProduct } from '../support/bench-product.entity';
import { AUDITED } from '../support/audited-options';
import { startLoopbackGateway } from '../support/loopback-gateway';
import { alternate } from '../support/measure';
import { type BenchRow, INFO, skippedRow, throughputRows } from '../support/report';

const NAME = 'outbound POST via HttpService';
const TARGET = '>= 0.90';
const CONCURRENCY = 4;

/**
 * Case 4: POST calls through the application's HttpService to a loopback gateway, 4 in flight at a
 * time. The audited app has the API trail on, so its HttpService is hooked and every call queues a
 * row; the baseline app has no AuditModule. Each app registers its own HttpModule (its own axios
 * instance), so the hook on one can never touch the other's calls.
 */
export const outboundCallsCase: BenchCase = {
  name: 'outbound',
  title: 'outbound calls through HttpService',
  dialects: ['postgres'],

  async run(context: BenchContext, dialect: Dialect): Promise<BenchRow[]> {
    const gateway = await startLoopbackGateway();
    try {
      const pair = await startPair({
        dialect,
        database: 'outbound',
        entities: [BenchProduct],
        audit: { ...AUDITED, apiAudit: { ...AUDITED.apiAudit, services: { [gateway.url]: 'bank' } } },
        imports: [HttpModule.register({ baseURL: gateway.url, timeout: 10_000 })],
      });
      try {
        const call = (app: BenchApp) => {
          const http = app.app.get(HttpService);
          return (n: number) =>
            firstValueFrom(http.post('/v1/transfer', { amount: n, account: '8830012345', currency: 'IDR' }));
        };
        context.log(`  ${NAME}`);
        const samples = await alternate(
          { baseline: call(pair.baseline), audited: call(pair.audited) },
          context.quick
            ? { warmup: 100, rounds: 4, opsPerRound: 300, concurrency: CONCURRENCY }
            : { warmup: 300, rounds: 10, opsPerRound: 1000, concurrency: CONCURRENCY },
        );
        // Rows are written off the caller's path: wait for them before counting.
        await pair.audited.audit!.flushApiCalls();
        const rows = await countRows(pair.audited, 'audit_api_logs');
        if (rows < samples.audited.ops) {
          throw new Error(`the audited app recorded ${rows} API rows for ${samples.audited.ops} calls`);
        }
        return throughputRows(NAME, dialect, samples, TARGET, 'calls/s');
      } finally {
        await pair.close();
      }
    } finally {
      await gateway.close();
    }
  },

  skipped: (_context, dialect, reason) => [
    skippedRow(NAME, dialect, 'calls/s', TARGET, reason),
    skippedRow(`${NAME}: p50`, dialect, 'ms', INFO, reason),
    skippedRow(`${NAME}: p99`, dialect, 'ms', INFO, reason),
  ],
};
