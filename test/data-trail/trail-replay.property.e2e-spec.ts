import fc from 'fast-check';
import { relative } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { DataAuditOptions } from 'nestjs-audit-trail';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { rowDifferences } from './fixtures/canonical-values';
import { AUDITED_TABLES, REPLAY_ENTITIES } from './fixtures/replay-entities';
import { operations, runOp } from './fixtures/replay-operations';

/*
 * The trail's promise, checked on random histories: replaying it (`snapshot` at now) gives back every
 * row of every audited table exactly as the table holds it, and says nothing exists that does not.
 *
 *   AUDIT_PROPERTY_RUNS   sequences per dialect (default below; more for a longer run)
 *   AUDIT_PROPERTY_SEED   replay a reported seed (with AUDIT_PROPERTY_PATH to go straight to the shrunk case)
 *   AUDIT_PROPERTY_TIME_LIMIT_MS  stop generating (and shrinking) after this long; default 40 s when
 *                         AUDIT_PROPERTY_RUNS is not set, no limit when it is
 *   AUDIT_CAPTURE         'orm' or 'database' to run one capture mode (default: both)
 */
const DEFAULT_RUNS = 40;
const MAX_OPERATIONS = 12;

const runs = Number(process.env.AUDIT_PROPERTY_RUNS ?? DEFAULT_RUNS);
const seed = process.env.AUDIT_PROPERTY_SEED ? Number(process.env.AUDIT_PROPERTY_SEED) : Date.now() % 2 ** 31;
const replayPath = process.env.AUDIT_PROPERTY_PATH || undefined;
const timeLimit = process.env.AUDIT_PROPERTY_TIME_LIMIT_MS
  ? Number(process.env.AUDIT_PROPERTY_TIME_LIMIT_MS)
  : process.env.AUDIT_PROPERTY_RUNS
    ? undefined
    : 40_000;

// Both capture modes by default; AUDIT_CAPTURE=orm or =database runs one.
const CAPTURES = (['orm', 'database'] as const).filter(
  (capture) => !process.env.AUDIT_CAPTURE || process.env.AUDIT_CAPTURE === capture,
);

const json = (value: unknown) => JSON.stringify(value);

// The command that runs this file again, whatever it is called (a pending file needs its own regex).
const file = relative(process.cwd(), __filename);
const pending = file.endsWith('.e2e-spec.ts') ? '' : " --testRegex 'pending-e2e\\.ts$'";

/** Empties every audited table and the trail, through a connection the module does not watch. */
async function reset(raw: DataSource): Promise<void> {
  for (const { table } of AUDITED_TABLES) await raw.query(`DELETE FROM ${table}`);
  await raw.query('DELETE FROM audit_logs');
}

/** Every way the trail and the tables disagree, one line each. */
async function disagreements(t: TestApp, raw: DataSource): Promise<string[]> {
  const found: string[] = [];
  const now = new Date();
  for (const { table, key } of AUDITED_TABLES) {
    const rows: Array<Record<string, unknown>> = await raw.query(`SELECT * FROM ${table}`);
    const byKey = new Map(rows.map((row) => [key(row), row]));
    const recorded = new Set((await t.audit.query({ entityType: table })).map((row) => row.entityId));
    for (const id of new Set([...byKey.keys(), ...recorded])) {
      const row = byKey.get(id);
      const live = row !== undefined && (row.deleted_at === null || row.deleted_at === undefined);
      const snapshot = await t.audit.snapshot(table, id, now);
      if (!live) {
        if (snapshot.exists) {
          found.push(
            `${table}#${id}: the trail says it exists ${json(snapshot.values)}; the table ${row ? `holds it soft-deleted ${json(row)}` : 'has no such row'}`,
          );
        }
      } else if (!snapshot.exists) {
        found.push(
          `${table}#${id}: the table holds ${json(row)}; the trail ${recorded.has(id) ? 'says it does not exist' : 'has no row for it'}`,
        );
      } else {
        const differences = rowDifferences(row, snapshot.values ?? {});
        if (differences.length) {
          const columns = differences.map((d) => `${d.column}: table ${json(d.expected)}, trail ${json(d.actual)}`);
          found.push(`${table}#${id}: ${columns.join('; ')}`);
        }
      }
    }
  }
  return found;
}

for (const capture of CAPTURES)
  describeEachDialect(
    `data trail: replaying the trail gives back the tables (property, ${capture} capture)`,
    (dialect) => {
      let t: TestApp;
      let raw: DataSource;

      beforeAll(async () => {
        const dataAudit = { enabled: true, capture } as DataAuditOptions;
        t = await createTestApp({ dialect, entities: REPLAY_ENTITIES, poolSize: 6, audit: { dataAudit } });
        raw = new DataSource({
          ...t.dataSource.options,
          name: `unaudited-${dialect}`,
          entities: [],
          subscribers: [],
          synchronize: false,
        } as unknown as DataSourceOptions);
        await raw.initialize();
      });
      afterAll(async () => {
        await raw?.destroy();
        await t?.close();
      });

      it(
        `after random write sequences, snapshot(now) equals every row of every audited table (${runs} runs, seed ${seed})`,
        async () => {
          const property = fc.asyncProperty(operations(MAX_OPERATIONS), async (ops) => {
            await reset(raw);
            // TypeORM writes generated ids and dates into the objects it is given: keep the case as generated.
            for (const op of structuredClone(ops)) await runOp(t.dataSource, t.dataSource.manager, op);
            const found = await disagreements(t, raw);
            if (found.length) {
              throw new Error(`${found.length} disagreement(s):\n  ${found.slice(0, 8).join('\n  ')}`);
            }
          });
          const details = await fc.check(property, {
            seed,
            path: replayPath,
            numRuns: runs,
            plugins: timeLimit ? [fc.interruptAfterTimeLimit(timeLimit)] : [],
          });
          if (details.failed) {
            const reproduce =
              `Reproduce: AUDIT_PROPERTY_SEED=${details.seed} AUDIT_PROPERTY_PATH=${details.counterexamplePath ?? ''} ` +
              `AUDIT_CAPTURE=${capture} npx jest ${file}${pending} -t '\\[${dialect}\\]'`;
            const error =
              details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
            const report = `${fc.defaultReportMessage(details)}\nGot: ${error}\n${reproduce}`;
            console.error(`[${dialect}] ${report}`);
            throw new Error(report);
          }
        },
        timeLimit ? timeLimit + 60_000 : 6 * 3_600_000,
      );
    },
  );
