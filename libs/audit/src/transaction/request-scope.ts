import type { ClsService } from 'nestjs-cls';
import { CLS_REQUEST, CLS_REQUEST_METADATA, CLS_TRANSACTION_ID } from './scope-keys';
import type { ResolvedTransactionOptions } from '../options/audit-options';
import {
  type HttpRequestLike,
  type RequestMetadata,
  refineRequestMetadata,
  requestMetadataOf,
} from './request-metadata';
import { acceptTransactionId } from './transaction-id';
import { traceOfTraceparent } from './trace-context';
import { type ExposableResponse, exposeTransactionHeader } from './cors-expose';

/** An Express response, a raw Node response, or a Fastify reply (which keeps the Node one in `raw`). */
export interface HttpResponseLike {
  raw?: HttpResponseLike;
  headersSent?: boolean;
  setHeader?(name: string, value: string): unknown;
}

/**
 * The request's transaction ID: its header's value when that is one safe token; when that header is
 * absent, the first of `requestIdHeaders` (`X-Request-Id`, say) that is present, under the same rule;
 * a fresh ID otherwise.
 */
export function incomingTransactionId(
  request: HttpRequestLike,
  header: string,
  requestIdHeaders: readonly string[] = [],
): string {
  // Node lower-cases incoming header names, on Express and Fastify alike.
  const headers = request.headers ?? {};
  const name = [header, ...requestIdHeaders].find((candidate) => headers[candidate.toLowerCase()] !== undefined);
  return acceptTransactionId(name === undefined ? undefined : headers[name.toLowerCase()]);
}

/**
 * Puts the ID on the Node response itself: on Fastify a header set there survives, because Fastify
 * merges its own headers into the raw response's when it writes the head, whichever path answers.
 */
export function setTransactionIdHeader(response: HttpResponseLike | undefined, header: string, id: string): void {
  const target = response?.raw ?? response;
  if (target?.setHeader && !target.headersSent) target.setHeader(header, id);
}

const decided = new WeakMap<object, string>();

/**
 * The request's transaction ID, decided once per request: the first caller (the server listener,
 * else the middleware, else the interceptor) reads the header, sets the response header and
 * remembers the ID on the raw Node request; every later caller gets the same ID and sets nothing.
 */
export function decideTransactionId(
  request: HttpRequestLike & { raw?: object },
  response: HttpResponseLike | undefined,
  header: string,
  requestIdHeaders: readonly string[] = [],
): string {
  const key = request.raw ?? request;
  let transactionId = decided.get(key);
  if (transactionId === undefined) {
    transactionId = incomingTransactionId(request, header, requestIdHeaders);
    decided.set(key, transactionId);
    setTransactionIdHeader(response, header, transactionId);
    // A browser on another origin may read the header only if the response says so.
    exposeTransactionHeader(request, (response?.raw ?? response) as ExposableResponse | undefined, header);
  }
  return transactionId;
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
  // The W3C trace the caller sent, so every row of this request can be found from its trace.
  const trace = traceOfTraceparent(request.headers?.traceparent);
  cls.set(CLS_REQUEST_METADATA, { ...requestMetadataOf(request, options), ...trace });
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
