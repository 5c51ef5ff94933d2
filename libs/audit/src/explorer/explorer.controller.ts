import {
  BadRequestException,
  Controller,
  Get,
  Header,
  Inject,
  NotFoundException,
  Param,
  Query,
  StreamableFile,
  type Type,
  UseGuards,
} from '@nestjs/common';
import { Readable } from 'node:stream';
import { AUDIT_OPTIONS } from '../options/audit.tokens';
import type { ResolvedAuditOptions } from '../options/audit-options';
import type { ApiLog, DataLog } from '../store/audit-entry';
import { nextCursor } from '../store/page-cursor';
import { isSafeTransactionId } from '../transaction/transaction-id';
import type { EntitySnapshot } from '../queries/history/entity-history';
import type { TransactionTrail } from '../queries/transaction-trail';
import { AuditService } from '../module/audit.service';
import { CONTENT_SECURITY_POLICY, type ExplorerAssets, explorerHtml } from './explorer-assets';
import {
  ExplorerQueryError,
  type QueryParams,
  type TrailName,
  apiFilterOf,
  dataFilterOf,
  instant,
  pageSize,
  trailOf,
} from './explorer-filters';
import type { ResolvedExplorerOptions } from './explorer-options';
import { type ExportFormat, exportChunks } from './trail-export';

export const EXPLORER_ASSETS = Symbol('nestjs-audit-trail:explorer-assets');
export const EXPLORER_OPTIONS = Symbol('nestjs-audit-trail:explorer-options');

/** One page of a search, newest first, and the `beforeId` of the next page (absent on the last). */
export interface ExplorerPage<T> {
  trail: TrailName;
  rows: T[];
  nextBeforeId?: number;
}

const MAX_ENTITY_TEXT = 200;

function parsed<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ExplorerQueryError) throw new BadRequestException(error.message);
    throw error;
  }
}

function entityKey(type: string, id: string): { type: string; id: string } {
  if (!type || !id || type.length > MAX_ENTITY_TEXT || id.length > MAX_ENTITY_TEXT) {
    throw new BadRequestException(`entity type and id must be 1 to ${MAX_ENTITY_TEXT} characters`);
  }
  return { type, id };
}

/**
 * The explorer's routes under the configured path, built per module so that the path and the guard
 * are the application's. Every route only reads.
 */
export function explorerController(options: ResolvedExplorerOptions): Type<unknown> {
  @Controller(options.path)
  class AuditExplorerController {
    constructor(
      private readonly audit: AuditService,
      @Inject(AUDIT_OPTIONS) private readonly auditOptions: ResolvedAuditOptions,
      @Inject(EXPLORER_ASSETS) private readonly assets: ExplorerAssets,
    ) {}

    @Get()
    @Header('Content-Type', 'text/html; charset=utf-8')
    @Header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    @Header('X-Content-Type-Options', 'nosniff')
    @Header('Referrer-Policy', 'no-referrer')
    @Header('Cache-Control', 'no-store')
    page(): string {
      return explorerHtml(options.path, {
        data: this.auditOptions.dataAudit.enabled,
        api: this.auditOptions.apiAudit.enabled,
      });
    }

    @Get('assets/explorer.js')
    @Header('Content-Type', 'text/javascript; charset=utf-8')
    @Header('X-Content-Type-Options', 'nosniff')
    @Header('Cache-Control', 'no-cache')
    script(): string {
      return this.assets.script;
    }

    @Get('assets/explorer.css')
    @Header('Content-Type', 'text/css; charset=utf-8')
    @Header('X-Content-Type-Options', 'nosniff')
    @Header('Cache-Control', 'no-cache')
    style(): string {
      return this.assets.style;
    }

    /** A search over one trail: `trail=data|api`, the filter fields, `limit`, `beforeId`. */
    @Get('api/logs')
    @Header('Cache-Control', 'no-store')
    async logs(@Query() query: QueryParams): Promise<ExplorerPage<DataLog | ApiLog>> {
      const trail = parsed(() => trailOf(query));
      const limit = parsed(() => pageSize(query));
      this.requireTrail(trail);
      const rows =
        trail === 'data'
          ? await this.audit.query({ ...parsed(() => dataFilterOf(query)), limit })
          : await this.audit.queryApiCalls({ ...parsed(() => apiFilterOf(query)), limit });
      return { trail, rows, nextBeforeId: nextCursor(rows, limit) };
    }

    @Get('api/transactions/:id')
    @Header('Cache-Control', 'no-store')
    async transaction(@Param('id') transactionId: string): Promise<TransactionTrail> {
      if (!isSafeTransactionId(transactionId)) {
        throw new BadRequestException('a transaction ID is at most 100 letters, digits or _.:-');
      }
      // Calls are written off the request path; a call that has ended belongs in the view.
      if (this.auditOptions.apiAudit.enabled) await this.audit.flushApiCalls().catch(() => undefined);
      const trail = await this.audit.queryByTransaction(transactionId);
      if (trail.timeline.length === 0) {
        throw new NotFoundException(`nothing was recorded under transaction ${transactionId}`);
      }
      return trail;
    }

    /** One entity's changes, newest first, keyset paged. */
    @Get('api/entities/:type/:id')
    @Header('Cache-Control', 'no-store')
    async entity(
      @Param('type') type: string,
      @Param('id') id: string,
      @Query() query: QueryParams,
    ): Promise<ExplorerPage<DataLog>> {
      const key = entityKey(type, id);
      this.requireTrail('data');
      const limit = parsed(() => pageSize(query));
      const { beforeId } = parsed(() => dataFilterOf({ beforeId: query.beforeId }));
      const rows = await this.audit.query({ entityType: key.type, entityId: key.id, limit, beforeId });
      return { trail: 'data', rows, nextBeforeId: nextCursor(rows, limit) };
    }

    /** The entity's fields at `at` (an ISO instant), rebuilt from its trail. */
    @Get('api/entities/:type/:id/state')
    @Header('Cache-Control', 'no-store')
    async state(
      @Param('type') type: string,
      @Param('id') id: string,
      @Query() query: QueryParams,
    ): Promise<EntitySnapshot> {
      const key = entityKey(type, id);
      this.requireTrail('data');
      const at = parsed(() => instant(query, 'at'));
      if (!at) throw new BadRequestException('at must be an ISO 8601 instant with a zone');
      return this.audit.snapshot(key.type, key.id, at);
    }

    /** The whole filter as CSV or NDJSON, streamed page by page (see `exportChunks`). */
    @Get('api/export')
    @Header('Cache-Control', 'no-store')
    @Header('X-Content-Type-Options', 'nosniff')
    export(@Query() query: QueryParams): StreamableFile {
      const trail = parsed(() => trailOf(query));
      const format = query.format === undefined ? 'csv' : query.format;
      if (format !== 'csv' && format !== 'ndjson') throw new BadRequestException('format must be "csv" or "ndjson"');
      this.requireTrail(trail);
      const { beforeId, ...filter } = parsed(() => (trail === 'data' ? dataFilterOf(query) : apiFilterOf(query)));
      const readPage =
        trail === 'data'
          ? (before: number | undefined, limit: number) => this.audit.query({ ...filter, beforeId: before, limit })
          : (before: number | undefined, limit: number) =>
              this.audit.queryApiCalls({ ...filter, beforeId: before, limit });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const chunks = exportChunks<DataLog | ApiLog>(trail, format as ExportFormat, readPage, beforeId);
      return new StreamableFile(Readable.from(chunks, { objectMode: false, highWaterMark: 1 }), {
        type: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
        disposition: `attachment; filename="audit-${trail}-${stamp}.${format}"`,
      });
    }

    private requireTrail(trail: TrailName): void {
      const enabled = trail === 'data' ? this.auditOptions.dataAudit.enabled : this.auditOptions.apiAudit.enabled;
      if (!enabled) throw new NotFoundException(`the ${trail === 'data' ? 'data' : 'API'} trail is not enabled`);
    }
  }

  if (options.guard) UseGuards(options.guard)(AuditExplorerController);
  return AuditExplorerController;
}
