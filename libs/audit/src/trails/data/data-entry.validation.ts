import { DATA_ACTIONS, type DataEntry } from '../../store/audit-entry';
import { isSafeTransactionId } from '../../transaction/transaction-id';

/** A `recordDataChange` entry the trail cannot store as given; thrown whatever `onError` says. */
export class AuditEntryError extends Error {
  constructor(field: string, rule: string, value: unknown) {
    super(`nestjs-audit-trail: recordDataChange: ${field} ${rule} (got ${describe(value)})`);
    this.name = 'AuditEntryError';
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

// The widths of the audit_logs columns (store/audit-tables.ts), shared with the Go library: a longer
// value is refused by PostgreSQL and MariaDB and kept whole by SQLite, so one entry would give three
// different outcomes; refusing it here gives one.
const LIMITS = { entityType: 100, entityId: 100, userId: 100, userType: 50 } as const;

function requiredText(entry: DataEntry, field: 'entityType' | 'entityId'): void {
  const value = entry[field];
  if (typeof value !== 'string' || value === '' || value.length > LIMITS[field]) {
    throw new AuditEntryError(field, `must be a string of 1 to ${LIMITS[field]} characters`, value);
  }
}

function optionalText(entry: DataEntry, field: 'userId' | 'userType'): void {
  const value = entry[field];
  if (value === undefined || value === null) return;
  if (typeof value !== 'string' || value.length > LIMITS[field]) {
    throw new AuditEntryError(field, `must be a string of at most ${LIMITS[field]} characters`, value);
  }
}

function optionalObject(entry: DataEntry, field: 'oldValues' | 'newValues' | 'metadata'): void {
  const value = entry[field];
  if (value === undefined || value === null) return;
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Date) {
    const what = field === 'metadata' ? 'an object or null' : 'an object of column values or null';
    throw new AuditEntryError(field, `must be ${what}`, value);
  }
}

/**
 * Checks a hand-written data-trail entry before anything is written: every field fits its column,
 * the action is one the trail knows, the transaction ID follows the one rule for foreign IDs
 * (`isSafeTransactionId`). A bad entry is the caller's bug, so it throws under fail-silent too:
 * `recordDataChange` never answers `true` for a row that could not be stored.
 */
export function checkDataEntry(entry: unknown): DataEntry {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new AuditEntryError('entry', 'must be an object { entityType, entityId, action, ... }', entry);
  }
  const candidate = entry as DataEntry;
  requiredText(candidate, 'entityType');
  requiredText(candidate, 'entityId');
  if (!DATA_ACTIONS.includes(candidate.action)) {
    throw new AuditEntryError('action', `must be one of ${DATA_ACTIONS.join(', ')}`, candidate.action);
  }
  optionalText(candidate, 'userId');
  optionalText(candidate, 'userType');
  optionalObject(candidate, 'oldValues');
  optionalObject(candidate, 'newValues');
  optionalObject(candidate, 'metadata');
  const { transactionId, createdAt } = candidate;
  if (
    transactionId !== undefined &&
    transactionId !== null &&
    transactionId !== '' &&
    !isSafeTransactionId(transactionId)
  ) {
    throw new AuditEntryError('transactionId', 'must be 1 to 100 characters from A-Z a-z 0-9 _ . : -', transactionId);
  }
  if (
    createdAt !== undefined &&
    createdAt !== null &&
    (!(createdAt instanceof Date) || Number.isNaN(createdAt.getTime()))
  ) {
    throw new AuditEntryError('createdAt', 'must be a valid Date', createdAt);
  }
  return candidate;
}
