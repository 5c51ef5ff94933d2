import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { AUDIT_OPTIONS } from '../module/audit.constants';
import type { ResolvedAuditOptions } from '../module/audit-options';
import { incomingTransactionId, setTransactionIdHeader } from './request-scope';

const assigned = new WeakMap<object, string>();
const hookedServers = new WeakSet<object>();

/** The ID the server hook gave this (raw Node) request, if it saw it. */
export function assignedTransactionId(request: object): string | undefined {
  return assigned.get(request);
}

/**
 * Gives each request its transaction ID, and its response the header, as the Node server receives it.
 * Express runs its body parser (and any `app.use()` middleware) before Nest's route middleware, so a
 * malformed JSON body is answered before TransactionIdMiddleware runs; this hook still puts the ID on
 * that answer, and the middleware then opens the scope with the same ID. Without a Node server (a
 * serverless handler, a microservice) it does nothing and the middleware alone assigns the ID.
 */
@Injectable()
export class TransactionIdServerHook implements OnModuleInit {
  constructor(
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const { header, mount } = this.options.transaction;
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!mount || typeof server?.prependListener !== 'function' || hookedServers.has(server)) return;
    hookedServers.add(server);
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
      const transactionId = incomingTransactionId(request, header);
      assigned.set(request, transactionId);
      setTransactionIdHeader(response, header, transactionId);
    });
  }
}
