import { Body, Controller, Post } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { BenchCase, BenchContext } from '../support/bench-case';
import { countRows, startPair } from '../support/bench-app';
import type { Dialect } from '../support/bench-databases';
import { BenchProduct } from '../support/bench-product.entity';
import { AUDITED } from '../support/audited-options';
import { type LoadResult, generateLoad } from '../support/load-generator';
import { quantile } from '../support/measure';
import { type BenchRow, INFO, row, skippedRow } from '../support/report';

const NAME = 'HTTP POST writing 1 entity';
const TARGET = '>= 0.95';
const CONNECTIONS = 10;

interface NewProductBody {
  name?: unknown;
  price?: unknown;
}

/** A shop endpoint as an application writes it: no audit code, one entity saved per request. */
@Controller('products')
export class ProductsController {
  constructor(@InjectRepository(BenchProduct) private readonly products: Repository<BenchProduct>) {}

  @Post()
  async create(@Body() body: NewProductBody): Promise<{ id: number }> {
    const product = await this.products.save(
      this.products.create({ name: String(body.name ?? 'unnamed'), price: Number(body.price ?? 0), stock: 1 }),
    );
    return { id: product.id };
  }
}

/**
 * Case 3: requests per second that autocannon (a child process, 10 connections) gets from the
 * endpoint, with AuditModule (transaction-ID middleware, interceptor, subscriber) and without it.
 * Both apps listen on loopback at once; each round loads one then the other, the order flipping.
 */
export const httpEndpointCase: BenchCase = {
  name: 'http',
  title: 'HTTP endpoint throughput',
  dialects: ['postgres'],

  async run(context: BenchContext, dialect: Dialect): Promise<BenchRow[]> {
    const pair = await startPair({
      dialect,
      database: 'http',
      entities: [BenchProduct],
      audit: AUDITED,
      controllers: [ProductsController],
      listen: true,
    });
    try {
      const seconds = context.quick ? 2 : 5;
      const rounds = context.quick ? 2 : 3;
      const load = (url: string, duration: number) =>
        generateLoad({
          url: `${url}/products`,
          method: 'POST',
          body: { name: 'bench product', price: '19.90' },
          connections: CONNECTIONS,
          seconds: duration,
        });
      context.log(`  ${NAME}: warm-up`);
      await load(pair.baseline.url!, 1);
      await load(pair.audited.url!, 1);
      const results: Record<'baseline' | 'audited', LoadResult[]> = { baseline: [], audited: [] };
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? (['baseline', 'audited'] as const) : (['audited', 'baseline'] as const);
        for (const variant of order) {
          context.log(`  ${NAME}: round ${round + 1}/${rounds}, ${variant}`);
          const result = await load(pair[variant].url!, seconds);
          if (result.failures > 0) {
            throw new Error(`${result.failures} of ${result.requests} requests to the ${variant} app failed`);
          }
          results[variant].push(result);
        }
      }
      const audited = sum(results.audited.map((r) => r.requests));
      const auditRows = await countRows(pair.audited, 'audit_logs');
      if (auditRows < audited) throw new Error(`the audited app wrote ${auditRows} audit rows for ${audited} requests`);
      const throughput = (list: LoadResult[]) =>
        sum(list.map((r) => r.requests)) / sum(list.map((r) => r.durationSeconds));
      // autocannon reports percentiles per run; the median of the rounds' figures keeps one odd round out.
      const median = (list: LoadResult[], key: 'p50Ms' | 'p99Ms') =>
        quantile(
          list.map((r) => r[key]),
          0.5,
        );
      return [
        row(NAME, dialect, 'req/s', throughput(results.baseline), throughput(results.audited), TARGET),
        row(`${NAME}: p50`, dialect, 'ms', median(results.baseline, 'p50Ms'), median(results.audited, 'p50Ms'), INFO),
        row(`${NAME}: p99`, dialect, 'ms', median(results.baseline, 'p99Ms'), median(results.audited, 'p99Ms'), INFO),
      ];
    } finally {
      await pair.close();
    }
  },

  skipped: (_context, dialect, reason) => [
    skippedRow(NAME, dialect, 'req/s', TARGET, reason),
    skippedRow(`${NAME}: p50`, dialect, 'ms', INFO, reason),
    skippedRow(`${NAME}: p99`, dialect, 'ms', INFO, reason),
  ],
};

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
