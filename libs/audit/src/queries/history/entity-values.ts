import type { EntityMetadata, ObjectLiteral, ValueTransformer } from 'typeorm';
import type { AuditValues } from '../../store/audit-entry';

// typeorm's index does not export ColumnMetadata itself.
type ColumnMetadata = EntityMetadata['columns'][number];

const INSTANT_TYPES = new Set([
  'datetime',
  'datetime2',
  'datetimeoffset',
  'smalldatetime',
  'timestamp',
  'timestamptz',
  'timestamp with time zone',
  'timestamp without time zone',
  'timestamp with local time zone',
]);

const BINARY_TYPES = new Set(['bytea', 'blob', 'tinyblob', 'mediumblob', 'longblob', 'binary', 'varbinary', 'image']);

function typeName(column: ColumnMetadata): string {
  if (column.type === Date) return 'datetime';
  return typeof column.type === 'string' ? column.type.toLowerCase() : '';
}

/** TypeORM applies an array of transformers left to right on the way in, so the way out is right to left. */
function transformFrom(transformer: ValueTransformer | ValueTransformer[], value: unknown): unknown {
  const chain = Array.isArray(transformer) ? transformer : [transformer];
  return chain.reduceRight((current, step) => step.from(current), value);
}

/**
 * Undoes `toAuditValue`: the trail keeps instants as ISO text and bytes as base64 (JSON has neither),
 * and keeps a transformed column as its database-side value. 0, false and '' pass through untouched.
 */
function entityValueOf(column: ColumnMetadata, value: unknown): unknown {
  let raw = value;
  if (typeof raw === 'string') {
    const type = typeName(column);
    const isInstant = column.isCreateDate || column.isUpdateDate || column.isDeleteDate || INSTANT_TYPES.has(type);
    if (isInstant) {
      const instant = new Date(raw);
      if (!Number.isNaN(instant.getTime())) raw = instant;
    } else if (BINARY_TYPES.has(type)) {
      raw = Buffer.from(raw, 'base64');
    }
  }
  return column.transformer ? transformFrom(column.transformer, raw) : raw;
}

/**
 * An entity-shaped object from trail values keyed by column name: property names, embedded columns
 * nested, join columns as `{ relation: { id } }`. Only columns present in `values` are set, so a column
 * the trail does not hold (an excluded field, a column added later) is left to the caller.
 */
export function entityFromValues(metadata: EntityMetadata, values: AuditValues): ObjectLiteral {
  const entity: ObjectLiteral = {};
  for (const column of metadata.columns) {
    if (column.isVirtualProperty || !(column.databaseName in values)) continue;
    column.setEntityValue(entity, entityValueOf(column, values[column.databaseName]));
  }
  return entity;
}

/** Property paths of the columns `entityFromValues` set, for an INSERT that must write exactly those. */
export function propertyPathsOf(metadata: EntityMetadata, values: AuditValues): string[] {
  return metadata.columns
    .filter((column) => !column.isVirtualProperty && column.databaseName in values)
    .map((column) => column.propertyPath);
}

/**
 * The `where` of one row from its `entity_id` (docs/behaviour.md: the primary key as text, a compound key as a
 * JSON array in primary-column order).
 */
export function primaryKeyWhere(metadata: EntityMetadata, entityId: string): ObjectLiteral {
  const columns = metadata.primaryColumns;
  let parts: unknown[] = [entityId];
  if (columns.length > 1) {
    try {
      parts = JSON.parse(entityId) as unknown[];
    } catch {
      parts = [];
    }
    if (!Array.isArray(parts) || parts.length !== columns.length) {
      throw new Error(
        `nestjs-audit-trail: entity id ${JSON.stringify(entityId)} of ${metadata.tableName} must be a JSON array of ${columns.length} key values (${columns.map((column) => column.databaseName).join(', ')})`,
      );
    }
  }
  const where: ObjectLiteral = {};
  columns.forEach((column, index) => column.setEntityValue(where, entityValueOf(column, parts[index])));
  return where;
}
