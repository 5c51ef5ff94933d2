import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

export type RawSqlPolicy = 'warn' | 'error' | 'ignore';

interface Guard {
  policy: RawSqlPolicy;
  /** Lower-cased names of the tables whose rows the data trail records. */
  audited: () => ReadonlySet<string>;
  warned: Set<string>;
}

const guards = new Map<DataSource, Guard>();
let originalQuery: DataSource['query'] | undefined;
const logger = new Logger('AuditTrail');

// The statement kinds that write, and the table they write to (optionally schema-qualified and quoted).
const WRITE =
  /^\s*(?:with\b[\s\S]*?\)\s*)?(insert\s+(?:ignore\s+)?into|replace\s+into|update(?:\s+ignore)?|delete\s+from|truncate(?:\s+table)?)\s+(?:only\s+)?(?:[`"[]?\w+[`"\]]?\.)?[`"[]?(\w+)[`"\]]?/i;

/** The statement with literals and whitespace folded, so one warning covers every call of one shape. */
export function statementShape(sql: string): string {
  return sql
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\b\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

/** The audited table a raw statement writes to, if any. */
export function rawWriteTarget(sql: string, audited: ReadonlySet<string>): string | undefined {
  const withoutComments = sql.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/--[^\n]*\n/g, ' ');
  const match = WRITE.exec(withoutComments);
  const table = match?.[2]?.toLowerCase();
  return table && audited.has(table) ? table : undefined;
}

/**
 * Raw SQL (`dataSource.query`, `manager.query`) that writes to an audited table cannot be attributed
 * to rows by ORM capture. Depending on `dataAudit.rawSql` this says so once per statement shape
 * through Nest's Logger ('warn'), refuses the statement before it runs ('error'), or stays quiet
 * ('ignore'). Database capture (`dataAudit.capture: 'database'`) records such writes instead.
 * `EntityManager.query` goes through `DataSource.query`, so one patch on the prototype covers both; it
 * is installed with the first guarded DataSource and removed with the last.
 */
export function attachRawSqlGuard(
  dataSource: DataSource,
  policy: RawSqlPolicy,
  audited: () => ReadonlySet<string>,
): () => void {
  if (policy === 'ignore') return () => undefined;
  guards.set(dataSource, { policy, audited, warned: new Set() });
  if (!originalQuery) {
    const original = DataSource.prototype.query;
    originalQuery = original;
    DataSource.prototype.query = function guardedQuery(this: DataSource, ...args: Parameters<DataSource['query']>) {
      const guard = guards.get(this);
      try {
        if (guard && typeof args[0] === 'string') check(guard, args[0]);
      } catch (error) {
        // query() is async: a refusal is a rejected promise, so a caller's .catch() sees it.
        return Promise.reject(error);
      }
      return original.apply(this, args);
    } as DataSource['query'];
  }
  return () => {
    guards.delete(dataSource);
    if (guards.size === 0 && originalQuery) {
      DataSource.prototype.query = originalQuery;
      originalQuery = undefined;
    }
  };
}

function check(guard: Guard, sql: string): void {
  const table = rawWriteTarget(sql, guard.audited());
  if (!table) return;
  const shape = statementShape(sql);
  if (guard.policy === 'error') {
    throw new Error(
      `nestjs-audit-trail: raw SQL writes to audited table "${table}" and would leave no data-trail row (dataAudit.rawSql: 'error'): ${shape}`,
    );
  }
  if (guard.warned.has(shape)) return;
  guard.warned.add(shape);
  logger.warn(
    `raw SQL writes to audited table "${table}"; ORM capture cannot attribute it to rows, so the data trail has no row for it (use the ORM, AuditService.recordDataChange or dataAudit.capture: 'database'; dataAudit.rawSql: 'error' forbids it): ${shape}`,
  );
}
