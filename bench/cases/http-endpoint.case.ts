import { Body, Controller, Get, Post } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { BenchCase, BenchContext } from '../support/bench-case';
import { countRows, startPair } from '../support/bench-app';
import type { Dialect } from '../support/bench-databases';
import { BenchProduct } from '../support/bench-product.entity';
import { AUDITED } from '../support/audited-options';
import { type LoadResult, generateLoad } from '../support/load-generator';
import { quantile } from '../support/measure';
import { type BenchRow, INFO, relativeTarget, row, skippedRow } from '../support/report';

const POST = 'HTTP POST writing 1 entity';
const GET = 'HTTP GET writing nothing';
/**
 * The POST's audit cost is the single save's plus the request scope, so its target follows the
 * single-save ratio measured in the same run; the GET measures the request scope alone.
 */
const POST_TARGET = relativeTarget(0.9, 'save insert (1 entity)');
const GET_TARGET = '>= 0.95';
const CONNECTIONS = 10;
const ENDPOINTS = [
  { name: GET, method: 'GET', path: '/products/status', target: GET_TARGET },
  { name: POST, method: 'POST', path: '/products', target: POST_TARGET },
] as const;

interface NewProductBody {
  name?: unknown;
  price?: unknown;
}

/** A shop endpoint as an application writes it: no audit code, one entity saved per request. */
@Controller('products')
export class ProductsController {
  constructor(@InjectRepository(BenchProduct) private readonly products: Repository<BenchProduct>) {}

  /** Reads and writes nothing: what the audited app adds here is the request scope alone. */
  @Get('status')
  status(): { ok: true } {
    return { ok: true };
  }

  @Post()
  async create(@Body() body: NewProductBody): Promise<{ id: number }> {
    const product = await this.products.save(
      this.products.create({ name: String(body.name ?? 'unnamed'), price: Number(body.price ?? 0), stock: 1 }),
    );
    return { id: product.id };
  }
}

/**
 * Case 3: requests per second that autocannon (a child process, 10 connections) gets from two
 * endpoints, with AuditModule (server listener, transaction-ID middleware, interceptor, subscriber)
 * and without it: a GET that touches no database (the request scope alone) and a POST that saves one
 * entity. Both apps listen on loopback at once; each round loads one then the other, the order flipping.
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
      await expectScope(pair.audited.url!, true);
      await expectScope(pair.baseline.url!, false);
      const seconds = context.quick ? 2 : 5;
      const rounds = context.quick ? 2 : 3;
      const rows: BenchRow[] = [];
      for (const endpoint of ENDPOINTS) {
        const load = (url: string, duration: number) =>
          generateLoad({
            url: `${url}${endpoint.path}`,
            method: endpoint.method,
            body: endpoint.method === 'POST' ? { name: 'bench product', price: '19.90' } : undefined,
            connections: CONNECTIONS,
            seconds: duration,
          });
        const auditRowsBefore = await countRows(pair.audited, 'audit_logs');
        context.log(`  ${endpoint.name}: warm-up`);
        await load(pair.baseline.url!, 1);
        const warmup = await load(pair.audited.url!, 1);
        const results: Record<'baseline' | 'audited', LoadResult[]> = { baseline: [], audited: [] };
        for (let round = 0; round < rounds; round++) {
          const order = round % 2 === 0 ? (['baseline', 'audited'] as const) : (['audited', 'baseline'] as const);
          for (const variant of order) {
            context.log(`  ${endpoint.name}: round ${round + 1}/${rounds}, ${variant}`);
            const result = await load(pair[variant].url!, seconds);
            if (result.failures > 0) {
              throw new Error(`${result.failures} of ${result.requests} requests to the ${variant} app failed`);
            }
            results[variant].push(result);
          }
        }
        const audited = sum(results.audited.map((r) => r.requests)) + warmup.requests;
        const written = (await countRows(pair.audited, 'audit_logs')) - auditRowsBefore;
        const expected = endpoint.method === 'POST' ? audited : 0;
        if (endpoint.method === 'POST' ? written < expected : written !== 0) {
          throw new Error(`the audited app wrote ${written} audit rows for ${audited} ${endpoint.name} requests`);
        }
        const throughput = (list: LoadResult[]) =>
          sum(list.map((r) => r.requests)) / sum(list.map((r) => r.durationSeconds));
        // autocannon reports percentiles per run; the median of the rounds' figures keeps one odd round out.
        const median = (list: LoadResult[], key: 'p50Ms' | 'p99Ms') =>
          quantile(
            list.map((r) => r[key]),
            0.5,
          );
        const { name, target } = endpoint;
        rows.push(
          row(name, dialect, 'req/s', throughput(results.baseline), throughput(results.audited), target),
          row(`${name}: p50`, dialect, 'ms', median(results.baseline, 'p50Ms'), median(results.audited, 'p50Ms'), INFO),
          row(`${name}: p99`, dialect, 'ms', median(results.baseline, 'p99Ms'), median(results.audited, 'p99Ms'), INFO),
        );
      }
      return rows;
    } finally {
      await pair.close();
    }
  },

  skipped: (_context, dialect, reason) =>
    ENDPOINTS.flatMap(({ name, target }) => [
      skippedRow(name, dialect, 'req/s', target, reason),
      skippedRow(`${name}: p50`, dialect, 'ms', INFO, reason),
      skippedRow(`${name}: p99`, dialect, 'ms', INFO, reason),
    ]),
};

/** The audited app answers with a transaction ID (its scope ran), the baseline without one. */
async function expectScope(url: string, audited: boolean): Promise<void> {
  const response = await fetch(`${url}/products/status`);
  await response.arrayBuffer();
  const id = response.headers.get('x-transaction-id');
  if (response.status !== 200 || Boolean(id) !== audited) {
    throw new Error(`GET /products/status answered ${response.status} with transaction ID ${id ?? 'none'}`);
  }
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
