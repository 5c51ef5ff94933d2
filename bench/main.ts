import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { entitySaveCase } from './cases/entity-save.case';
import { entityUpdateCase } from './cases/entity-update.case';
import { httpEndpointCase } from './cases/http-endpoint.case';
import { outboundCallsCase } from './cases/outbound-calls.case';
import { trailPurgeCase } from './cases/trail-purge.case';
import { trailQueriesCase } from './cases/trail-queries.case';
import { transactionSaveCase } from './cases/transaction-save.case';
import { type BenchCase, type BenchContext, dialectPlan } from './support/bench-case';
import { DIALECTS, type Dialect, serverVersion } from './support/bench-databases';
import { type BenchRow, formatTable, machineOf, resolveTargets, resultsOf, writeResults } from './support/report';

/**
 * The database-trigger capture case, when this tree has it (bench/cases/database-capture.case.ts):
 * loaded by name at run time so that the bench builds and runs without it.
 */
function optionalCases(): BenchCase[] {
  let loaded: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('./cases/database-capture.case');
  } catch (error) {
    // Only the case file itself being absent is expected; a missing import inside it is an error.
    const missing = error as NodeJS.ErrnoException;
    if (missing.code === 'MODULE_NOT_FOUND' && missing.message.split('\n')[0].includes('database-capture.case'))
      return [];
    throw error;
  }
  return Object.values(loaded).filter(isBenchCase);
}

function isBenchCase(value: unknown): value is BenchCase {
  const candidate = value as Partial<BenchCase> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.name === 'string' &&
    typeof candidate.run === 'function' &&
    typeof candidate.skipped === 'function'
  );
}

const CASES: readonly BenchCase[] = [
  entitySaveCase,
  transactionSaveCase,
  entityUpdateCase,
  ...optionalCases(),
  httpEndpointCase,
  outboundCallsCase,
  trailQueriesCase,
  trailPurgeCase,
];

const USAGE = `usage: npm run bench -- [--quick] [--only <case>[,<case>...]] [--dialect <${DIALECTS.join('|')}>]
  --quick     smaller sizes and shorter runs (under 3 minutes); writes bench/results/quick.json
  a full run writes bench/results/latest.json; a run narrowed by --only or --dialect writes
  bench/results/partial.json, so the committed full-run figures are never replaced by a part of them
  --only      cases: ${CASES.map((c) => c.name).join(', ')}
  --dialect   run the multi-dialect cases on this dialect only, and the PostgreSQL-by-default ones on it`;

export interface BenchArgs {
  quick: boolean;
  only?: string[];
  dialect?: Dialect;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { quick: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new Error(`${arg} needs a value\n${USAGE}`);
      return next;
    };
    if (arg === '--quick') args.quick = true;
    else if (arg === '--only') {
      args.only = value()
        .split(',')
        .map((name) => name.trim());
      const unknown = args.only.filter((name) => !CASES.some((c) => c.name === name));
      if (unknown.length > 0) throw new Error(`unknown case ${unknown.join(', ')}\n${USAGE}`);
    } else if (arg === '--dialect') {
      const dialect = value() as Dialect;
      if (!DIALECTS.includes(dialect)) throw new Error(`unknown dialect ${dialect}\n${USAGE}`);
      args.dialect = dialect;
    } else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return args;
}

/** The repository root, wherever the compiled file ends up (dist/bench/bench/main.js today). */
function repositoryRoot(): string {
  let folder = __dirname;
  while (!existsSync(join(folder, 'nest-cli.json'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error('bench: cannot find the repository root (nest-cli.json)');
    folder = parent;
  }
  return folder;
}

/** Only a full run (every case, every dialect, full sizes) writes latest.json, the file that is committed. */
export function resultsFile(quick: boolean, partial: boolean): string {
  if (quick) return 'quick.json';
  return partial ? 'partial.json' : 'latest.json';
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s`;
  const servers: BenchContext['servers'] = {};
  for (const dialect of DIALECTS) {
    const version = await serverVersion(dialect);
    if (version) servers[dialect] = version;
    console.log(`${dialect}: ${version ?? 'no server answered, its rows are skipped'}`);
  }
  const context: BenchContext = {
    quick: args.quick,
    dialect: args.dialect,
    servers,
    log: (message) => console.log(`${elapsed()} ${message}`),
  };

  const rows: BenchRow[] = [];
  let failures = 0;
  for (const benchCase of CASES.filter((c) => !args.only || args.only.includes(c.name))) {
    for (const { dialect, skip } of dialectPlan(benchCase, context)) {
      if (skip) {
        context.log(`${benchCase.title} [${dialect}]: skipped, ${skip}`);
        rows.push(...benchCase.skipped(context, dialect, skip));
        continue;
      }
      context.log(`${benchCase.title} [${dialect}]`);
      try {
        rows.push(...(await benchCase.run(context, dialect)));
      } catch (error) {
        failures++;
        const message = error instanceof Error ? error.message : String(error);
        context.log(`${benchCase.title} [${dialect}] FAILED: ${error instanceof Error ? error.stack : message}`);
        rows.push(...benchCase.skipped(context, dialect, `failed: ${message.split('\n')[0]}`));
      }
    }
  }

  const results = resolveTargets(rows);
  console.log(`\n${formatTable(results)}\n`);
  const partial = Boolean(args.only || args.dialect);
  const file = join(repositoryRoot(), 'bench', 'results', resultsFile(args.quick, partial));
  writeResults(file, resultsOf(results, machineOf(servers.postgres, servers.mariadb)));
  const kind = [args.quick && 'quick', partial && 'partial'].filter(Boolean).join(', ');
  console.log(`${elapsed()} wrote ${relative(process.cwd(), file) || file}${kind ? ` (${kind} run)` : ''}`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
