import {
  type CanActivate,
  Controller,
  Delete,
  type DynamicModule,
  Get,
  Inject,
  Module,
  Post,
  Req,
  Res,
  type Type,
  UseGuards,
} from '@nestjs/common';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuditOptionsError } from '../options/audit-options.validation';
import { AuditService } from '../module/audit.service';
import { createAuditMcpServer } from './audit-mcp.server';
import type { AuditTrailReader } from './audit-trail-reader';

export interface AuditMcpOptions {
  /** Route of the MCP endpoint on the app's HTTP server. Default `/mcp`. */
  path?: string;
  /**
   * A Nest guard (class or instance) every MCP request passes first. Required: the tools read what
   * the trails hold (who changed what, redacted call bodies), which is not for anonymous callers.
   */
  guard: Type<CanActivate> | CanActivate;
}

const MCP_READER = Symbol('nestjs-audit-trail:mcp-reader');

interface RequestLike extends IncomingMessage {
  raw?: IncomingMessage;
  body?: unknown;
}
interface ResponseLike {
  raw?: ServerResponse;
  /** Fastify: hand the raw response over to the transport. */
  hijack?: () => void;
}

/** The app's AuditService as the tools' reader: the same queries and replay the app itself uses. */
function serviceTrailReader(audit: AuditService): AuditTrailReader {
  return {
    queryDataLogs: (filter) => audit.query(filter),
    queryApiLogs: (filter) => audit.queryApiCalls(filter),
    queryByTransaction: (transactionId) => audit.queryByTransaction(transactionId),
    snapshot: async (entityType, entityId, at) => {
      const state = await audit.snapshot(entityType, entityId, at);
      return state.exists ? state.values : null;
    },
  };
}

function isGuard(guard: unknown): boolean {
  if (typeof guard === 'function')
    return typeof (guard.prototype as CanActivate | undefined)?.canActivate === 'function';
  return typeof (guard as CanActivate | null)?.canActivate === 'function';
}

function mcpController(path: string, guard: AuditMcpOptions['guard']): Type<unknown> {
  @Controller(path)
  @UseGuards(guard)
  class AuditMcpController {
    constructor(@Inject(MCP_READER) private readonly reader: AuditTrailReader) {}

    /**
     * Stateless Streamable HTTP: every POST gets its own server and transport, so no session state
     * lives between requests (and none leaks between callers); replies are plain JSON.
     */
    @Post()
    async handle(@Req() request: RequestLike, @Res() response: ResponseLike): Promise<void> {
      const raw = (response.raw ?? response) as ServerResponse;
      response.hijack?.();
      const server = createAuditMcpServer(this.reader);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(request.raw ?? request, raw, request.body);
    }

    @Get()
    notAllowed(@Res() response: ResponseLike): void {
      methodNotAllowed(response);
    }

    @Delete()
    noSession(@Res() response: ResponseLike): void {
      methodNotAllowed(response);
    }
  }
  return AuditMcpController;
}

/** Stateless mode has no event stream to open (GET) and no session to end (DELETE). */
function methodNotAllowed(response: ResponseLike): void {
  const raw = (response.raw ?? response) as ServerResponse;
  response.hijack?.();
  raw.writeHead(405, { 'Content-Type': 'application/json', Allow: 'POST' });
  raw.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null }));
}

/**
 * `AuditMcpModule.forRoot({ path: '/mcp', guard })`: go-audit's read-only MCP tools on the app's own
 * HTTP server (Streamable HTTP), behind the app's guard. Needs AuditModule (global, as by default).
 * The same tools run without the app through `npx nestjs-audit-trail mcp` (stdio).
 */
@Module({})
export class AuditMcpModule {
  static forRoot(options: AuditMcpOptions): DynamicModule {
    if (!options || !isGuard(options.guard)) {
      throw new AuditOptionsError(
        'mcp.guard',
        'is required: a Nest guard (CanActivate class or instance)',
        options?.guard,
      );
    }
    const path = options.path ?? '/mcp';
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new AuditOptionsError('mcp.path', "must be a route starting with '/'", path);
    }
    return {
      module: AuditMcpModule,
      controllers: [mcpController(path, options.guard)],
      providers: [{ provide: MCP_READER, inject: [AuditService], useFactory: serviceTrailReader }],
    };
  }
}
