import type { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ClsServiceManager } from 'nestjs-cls';
import type { ResolvedTransactionOptions } from '../../options/audit-options';
import { enterRequestScope } from '../../transaction/request-scope';

/**
 * Opens each request's transaction-ID scope, and sets the response header, as the Node server
 * receives it, before Express or Fastify see the request: a malformed JSON body answered by the body
 * parser, a guard's 401 and a 404 all carry the ID, and every row written while serving the request
 * is stamped with it. Returns the function that removes the listener again.
 */
export function attachServerTransactionId(server: Server, options: ResolvedTransactionOptions): () => void {
  const cls = ClsServiceManager.getClsService();
  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    enterRequestScope(cls, request, response, options);
  };
  server.prependListener('request', listener);
  return () => {
    server.removeListener('request', listener);
  };
}

/**
 * The Node server the application answers on, if it has one this listener can be attached to (not
 * a serverless handler or a microservice): without one the module mounts TransactionIdMiddleware.
 */
export function listeningServerOf(adapterHost: HttpAdapterHost | undefined): Server | undefined {
  const server = adapterHost?.httpAdapter?.getHttpServer?.() as Server | undefined;
  return typeof server?.prependListener === 'function' ? server : undefined;
}
