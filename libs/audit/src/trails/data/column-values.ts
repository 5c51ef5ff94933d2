import type { EntityMetadata, ObjectLiteral } from 'typeorm';
import type { AuditValues } from '../../store/audit-entry';

/** How a column value is written into JSON: instants as ISO text, bytes as base64 (as Go's encoding/json does). */
export function toAuditValue(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * The entity's column values keyed by column name (docs/behaviour.md, "Data row format"), as the database sees them: transformers
 * applied, relations reduced to their join-column ids. Columns whose value is undefined (not loaded,
 * not written) are left out, so a partial entity yields only what it carries.
 */
export function columnValues(metadata: EntityMetadata, entity: ObjectLiteral | undefined | null): AuditValues {
  const values: AuditValues = {};
  if (!entity) return values;
  for (const column of metadata.columns) {
    if (column.isVirtualProperty) continue;
    const value = column.getEntityValue(entity, true);
    if (value === undefined) continue;
    values[column.databaseName] = toAuditValue(value);
  }
  return values;
}

/**
 * `entity_id`: the primary key as text, a compound key as a JSON array in primary-column order.
 * Returns undefined when the entity carries no complete key.
 */
export function entityIdOf(metadata: EntityMetadata, entity: ObjectLiteral | undefined | null): string | undefined {
  if (!entity) return undefined;
  const parts: unknown[] = [];
  for (const column of metadata.primaryColumns) {
    const value = column.getEntityValue(entity, true);
    if (value === undefined || value === null) return undefined;
    parts.push(toAuditValue(value));
  }
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? String(parts[0]) : JSON.stringify(parts);
}
