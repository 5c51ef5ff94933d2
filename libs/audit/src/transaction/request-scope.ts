import type { ClsService } from 'nestjs-cls';
import { CLS_REQUEST, CLS_REQUEST_METADATA, CLS_TRANSACTION_ID } from '../module/audit.constants';
import type { ResolvedTransactionOptions } from '../module/audit-options';
import {
  type HttpRequestLike,
  type RequestMetadata,
  refineRequestMetadata,
  requestMetadataOf,
} from './request-metadata';
import { acceptTransactionId } from './transaction-id';

/** An Express response, a raw Node response, or a Fastify reply (which keeps the Node one in `raw`). */
export interface HttpResponseLike {
  raw?: HttpResponseLike;
  headersSent?: boolean;
  setHeader?(name: string, value: string): unknown;
}

/** The request's transaction ID: its header's value when that is one safe token, a fresh ID otherwise. */
export function incomingTransactionId(request: HttpRequestLike, header: string): string {
  // Node lower-cases incoming header names, on Express and Fastify alike.
  return acceptTransactionId(request.headers?.[header.toLowerCase()]);
}

/**
 * Puts the ID on the Node response itself: on Fastify a header set there survives, because Fastify
 * merges its own headers into the raw response's when it writes the head, whichever path answers.
 */
export function setTransactionIdHeader(response: HttpResponseLike | undefined, header: string, id: string): void {
  const target = response?.raw ?? response;
  if (target?.setHeader && !target.headersSent) target.setHeader(header, id);
}

/** Fills the current scope for one HTTP request. */
export function seedRequestScope(
  cls: ClsService,
  request: HttpRequestLike,
  transactionId: string,
  options: ResolvedTransactionOptions,
): void {
  cls.set(CLS_TRANSACTION_ID, transactionId);
  // The request object itself, not its user: guards set `request.user` after the scope is opened.
  cls.set(CLS_REQUEST, request);
  cls.set(CLS_REQUEST_METADATA, requestMetadataOf(request, options));
}

/**
 * Once the framework has routed the request: the matched route pattern into the metadata, and the
 * framework's request (Fastify wraps the raw one the middleware saw) as the one users are read from.
 */
export function refineRequestScope(
  cls: ClsService,
  request: HttpRequestLike,
  options: ResolvedTransactionOptions,
): void {
  cls.set(CLS_REQUEST, request);
  const current = cls.get(CLS_REQUEST_METADATA) as RequestMetadata | undefined;
  cls.set(
    CLS_REQUEST_METADATA,
    refineRequestMetadata(current ?? requestMetadataOf(request, options), request, options),
  );
}
