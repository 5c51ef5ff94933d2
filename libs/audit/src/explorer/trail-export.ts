import type { ApiLog, DataLog } from '../store/audit-entry';
import type { TrailName } from './explorer-filters';

export type ExportFormat = 'csv' | 'ndjson';

/** The columns of each trail's export, in order; CSV's header line and each NDJSON object share them. */
export const EXPORT_COLUMNS: Record<TrailName, readonly string[]> = {
  data: [
    'id',
    'created_at',
    'transaction_id',
    'entity_type',
    'entity_id',
    'action',
    'user_id',
    'user_type',
    'old_values',
    'new_values',
    'metadata',
  ],
  api: [
    'id',
    'created_at',
    'transaction_id',
    'service',
    'method',
    'endpoint',
    'status_code',
    'duration_ms',
    'error_message',
    'user_id',
    'request_headers',
    'request_body',
    'response_body',
    'metadata',
  ],
};

/** One row as the export writes it: the stored values, snake_case, times as ISO text. */
export function exportRecord(trail: TrailName, row: DataLog | ApiLog): Record<string, unknown> {
  if (trail === 'data') {
    const log = row as DataLog;
    return {
      id: log.id,
      created_at: log.createdAt.toISOString(),
      transaction_id: log.transactionId,
      entity_type: log.entityType,
      entity_id: log.entityId,
      action: log.action,
      user_id: log.userId,
      user_type: log.userType,
      old_values: log.oldValues,
      new_values: log.newValues,
      metadata: log.metadata,
    };
  }
  const log = row as ApiLog;
  return {
    id: log.id,
    created_at: log.createdAt.toISOString(),
    transaction_id: log.transactionId,
    service: log.service,
    method: log.method,
    endpoint: log.endpoint,
    status_code: log.statusCode,
    duration_ms: log.durationMs,
    error_message: log.errorMessage,
    user_id: log.userId,
    request_headers: log.requestHeaders,
    request_body: log.requestBody,
    response_body: log.responseBody,
    metadata: log.metadata,
  };
}

// What a spreadsheet reads as the start of a formula (OWASP, "CSV injection").
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field (RFC 4180): objects as their JSON text, null and undefined as an empty field, and
 * quoted when it holds a comma, quote, CR or LF. Text that a spreadsheet would run as a formula
 * (starting with `=`, `+`, `-`, `@`, TAB or CR: a user id, an endpoint or an error message can be
 * anyone's text) gets a leading apostrophe, which spreadsheets show as text; NDJSON keeps it exact.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let textValue = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (typeof value === 'string' && FORMULA_START.test(textValue)) textValue = `'${textValue}`;
  return /[",\r\n]/.test(textValue) ? `"${textValue.replace(/"/g, '""')}"` : textValue;
}

export function csvHeader(trail: TrailName): string {
  return EXPORT_COLUMNS[trail].join(',') + '\r\n';
}

/** Lines of one page of rows in the format, ready to write. */
export function exportLines(trail: TrailName, format: ExportFormat, rows: ReadonlyArray<DataLog | ApiLog>): string {
  let out = '';
  for (const row of rows) {
    const record = exportRecord(trail, row);
    out +=
      format === 'csv'
        ? EXPORT_COLUMNS[trail].map((column) => csvField(record[column])).join(',') + '\r\n'
        : JSON.stringify(record) + '\n';
  }
  return out;
}

/**
 * The export as text chunks, one per page of `pageSize` rows read newest first by keyset
 * (`id < last id`): the database is asked for one page at a time and a page is released once
 * written, so memory stays flat however many rows match.
 */
export async function* exportChunks<T extends DataLog | ApiLog>(
  trail: TrailName,
  format: ExportFormat,
  readPage: (beforeId: number | undefined, limit: number) => Promise<T[]>,
  startBeforeId?: number,
  pageSize = 1000,
): AsyncGenerator<string> {
  if (format === 'csv') yield csvHeader(trail);
  let beforeId = startBeforeId;
  for (;;) {
    const page = await readPage(beforeId, pageSize);
    if (page.length > 0) yield exportLines(trail, format, page);
    if (page.length < pageSize) return;
    beforeId = page[page.length - 1].id;
  }
}
