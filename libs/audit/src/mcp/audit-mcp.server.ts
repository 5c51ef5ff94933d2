import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { DATA_ACTIONS, type ApiLog, type DataAction, type DataLog } from '../store/audit-entry';
import type { AuditTrailReader } from './audit-trail-reader';

/** The time window and paging both search tools take, with go-audit's names and limits. */
const PAGE_WINDOW = {
  date_from: z.string().optional().describe('RFC 3339 lower bound on created_at (inclusive).'),
  date_to: z.string().optional().describe('RFC 3339 upper bound on created_at (inclusive).'),
  limit: z.number().optional().describe('Rows to return (default 50, at most 500).'),
  offset: z.number().optional().describe('Rows to skip, for paging.'),
};

function windowOf(args: { date_from?: string; date_to?: string; limit?: number; offset?: number }) {
  return {
    from: instant('date_from', args.date_from),
    to: instant('date_to', args.date_to),
    limit: clampLimit(args.limit, 50, 500),
    offset: offsetOf(args.offset),
  };
}

/**
 * The MCP server of the audit trail: go-audit's five read-only tools, with its names, arguments,
 * limits and JSON, so an assistant configured for one answers from the other's tables the same way.
 * Differences are on purpose and listed in docs/go-audit-compatibility.md (a date that does not
 * parse is an error here, where go-audit ignores the filter).
 */
export function createAuditMcpServer(reader: AuditTrailReader, version = '1'): McpServer {
  const server = new McpServer({ name: 'nestjs-audit-trail', version });

  server.registerTool(
    'query_data_logs',
    {
      description:
        'Search the data-change audit log (audit_logs): who created, updated, deleted or restored which ' +
        'entity, when, and with which old and new values. Rows come newest first. All filters are optional ' +
        'and combine with AND; narrow as much as possible to keep answers small.',
      inputSchema: {
        entity_type: z.string().optional().describe("Table / entity name (e.g. 'orders')."),
        entity_id: z.string().optional().describe('Primary key as text (a compound key is a JSON array).'),
        action: z.string().optional().describe('One of: create | update | delete | soft_delete | restore.'),
        user_id: z.string().optional().describe('Who made the change.'),
        transaction_id: z.string().optional().describe('Transaction ID linking related changes and calls.'),
        ...PAGE_WINDOW,
      },
    },
    (args) =>
      answer(async () => {
        if (args.action && !DATA_ACTIONS.includes(args.action as DataAction)) {
          throw new ToolInputError(`action must be one of ${DATA_ACTIONS.join(', ')}`);
        }
        const logs = await reader.queryDataLogs({
          entityType: args.entity_type || undefined,
          entityId: args.entity_id || undefined,
          action: (args.action || undefined) as DataAction | undefined,
          userId: args.user_id || undefined,
          transactionId: args.transaction_id || undefined,
          ...windowOf(args),
        });
        return { count: logs.length, logs: logs.map(dataLogJson) };
      }),
  );

  server.registerTool(
    'query_api_logs',
    {
      description:
        'Search the outbound API call log (audit_api_logs): which third-party service was called, at which ' +
        'endpoint, with what status, headers, bodies and duration. Rows come newest first.',
      inputSchema: {
        service: z.string().optional().describe("Service name (e.g. 'bca')."),
        status_code: z.number().optional().describe('Exact HTTP status code (0 is ignored, as in go-audit).'),
        user_id: z.string().optional().describe('Who triggered the call.'),
        transaction_id: z.string().optional().describe('Transaction ID linking related calls and changes.'),
        ...PAGE_WINDOW,
      },
    },
    (args) =>
      answer(async () => {
        const logs = await reader.queryApiLogs({
          service: args.service || undefined,
          statusCode: args.status_code ? Math.trunc(args.status_code) : undefined,
          userId: args.user_id || undefined,
          transactionId: args.transaction_id || undefined,
          ...windowOf(args),
        });
        return { count: logs.length, logs: logs.map(apiLogJson) };
      }),
  );

  server.registerTool(
    'query_by_transaction',
    {
      description:
        'Every data change and every outbound API call recorded under one transaction ID, each in the order ' +
        'it happened: the whole story of one business operation (a checkout, a refund).',
      inputSchema: { transaction_id: z.string().describe('Transaction ID to look up.') },
    },
    (args) =>
      answer(async () => {
        if (!args.transaction_id) throw new ToolInputError('transaction_id is required');
        const trail = await reader.queryByTransaction(args.transaction_id);
        // go-audit's TransactionLog has no JSON tags, so its keys are the Go field names.
        return {
          TransactionID: args.transaction_id,
          DataLogs: trail.dataLogs.map(dataLogJson),
          APILogs: trail.apiLogs.map(apiLogJson),
        };
      }),
  );

  server.registerTool(
    'snapshot_entity',
    {
      description:
        'The fields of one entity as they were at a moment, rebuilt by replaying its audit rows up to then. ' +
        "`state` is null when the entity did not exist or was deleted at that moment. Use for 'what did " +
        "order 42 look like before yesterday's incident'.",
      inputSchema: {
        entity_type: z.string().describe('Table / entity name.'),
        entity_id: z.string().describe('Primary key as text.'),
        at: z.string().describe('RFC 3339 moment to rebuild the entity at.'),
      },
    },
    (args) =>
      answer(async () => {
        const at = instant('at', args.at);
        if (!args.entity_type || !args.entity_id || !at) {
          throw new ToolInputError("entity_type, entity_id, and RFC 3339 'at' are all required");
        }
        const state = await reader.snapshot(args.entity_type, args.entity_id, at);
        return { entity_type: args.entity_type, entity_id: args.entity_id, at: rfc3339(at), state };
      }),
  );

  server.registerTool(
    'recent_changes',
    {
      description:
        'The most recent data-change audit rows, optionally of one entity type: an activity feed without ' +
        'building a filter.',
      inputSchema: {
        entity_type: z.string().optional().describe('Table / entity name to keep to.'),
        limit: z.number().optional().describe('Rows to return (default 20, at most 200).'),
      },
    },
    (args) =>
      answer(async () => {
        const logs = await reader.queryDataLogs({
          entityType: args.entity_type || undefined,
          limit: clampLimit(args.limit, 20, 200),
        });
        return { count: logs.length, logs: logs.map(dataLogJson) };
      }),
  );

  return server;
}

/** A bad argument: reported to the caller as a tool error, like any failure, never thrown at the transport. */
class ToolInputError extends Error {}

async function answer(work: () => Promise<unknown>): Promise<CallToolResult> {
  try {
    return { content: [{ type: 'text', text: JSON.stringify(await work(), null, 2) }] };
  } catch (error) {
    return { isError: true, content: [{ type: 'text', text: (error as Error).message }] };
  }
}

const RFC_3339 = /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/;

function instant(name: string, text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const date = new Date(text);
  if (!RFC_3339.test(text) || Number.isNaN(date.getTime())) {
    throw new ToolInputError(
      `${name} must be an RFC 3339 time such as 2026-04-13T09:01:00Z (got ${JSON.stringify(text)})`,
    );
  }
  return date;
}

function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined || !Number.isFinite(limit) || limit <= 0) return fallback;
  return Math.min(Math.trunc(limit), max) || fallback;
}

function offsetOf(offset: number | undefined): number | undefined {
  return offset !== undefined && Number.isFinite(offset) && offset > 0 ? Math.trunc(offset) : undefined;
}

/** Go's time.Time JSON: RFC 3339 with the fraction when there is one. */
function rfc3339(date: Date): string {
  return Number.isNaN(date.getTime()) ? String(date) : date.toISOString().replace('.000Z', 'Z');
}

/** A row's JSON as go-audit writes it: snake_case, empty optional fields left out. */
function dataLogJson(log: DataLog): Record<string, unknown> {
  return withoutEmpty(
    {
      id: log.id,
      entity_type: log.entityType,
      entity_id: log.entityId,
      action: log.action,
      old_values: log.oldValues,
      new_values: log.newValues,
      user_id: log.userId,
      user_type: log.userType,
      metadata: log.metadata,
      transaction_id: log.transactionId,
      created_at: rfc3339(log.createdAt),
    },
    ['id', 'entity_type', 'entity_id', 'action', 'user_id', 'created_at'],
  );
}

function apiLogJson(log: ApiLog): Record<string, unknown> {
  return withoutEmpty(
    {
      id: log.id,
      service: log.service,
      endpoint: log.endpoint,
      method: log.method,
      status_code: log.statusCode,
      request_headers: log.requestHeaders,
      response_headers: log.responseHeaders,
      request_body: log.requestBody,
      response_body: log.responseBody,
      duration_ms: log.durationMs,
      error_message: log.errorMessage,
      user_id: log.userId,
      metadata: log.metadata,
      transaction_id: log.transactionId,
      created_at: rfc3339(log.createdAt),
    },
    ['id', 'service', 'endpoint', 'method', 'status_code', 'duration_ms', 'created_at'],
  );
}

function withoutEmpty(row: Record<string, unknown>, always: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (always.includes(key) || (value !== null && value !== undefined && value !== '')) out[key] = value;
  }
  return out;
}
