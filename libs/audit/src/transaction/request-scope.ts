import { type ClsService, ContextClsStoreMap } from 'nestjs-cls';
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

/**
 * Opens the request's scope as the Node server receives it. Express and Fastify answer a request in
 * their own 'request' listener, which Node calls right after this one in the same synchronous emit,
 * so entering the store here puts everything that serves the request in it (body parser, guards,
 * handlers, filters, and what they start). Each request enters a fresh store: a kept-alive socket's
 * previous request must not lend it its values. This costs a fraction of a Nest middleware mounted
 * on every route, which the module then does not mount.
 */
export function enterRequestScope(
  cls: ClsService,
  request: HttpRequestLike,
  response: HttpResponseLike,
  options: ResolvedTransactionOptions,
): void {
  const transactionId = decideTransactionId(request, response, options.header, options.requestIdHeaders);
  cls.enterWith({});
  seedRequestScope(cls, request, transactionId, options);
  // An application-mounted ClsMiddleware, ClsGuard or ClsInterceptor then enters this store.
  ContextClsStoreMap.setByRaw(request, cls.get());
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
