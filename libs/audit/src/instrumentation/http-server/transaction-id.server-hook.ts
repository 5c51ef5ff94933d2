import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { decideTransactionId } from '../../transaction/request-scope';

/**
 * Decides each request's transaction ID, and sets the response header, as the Node server receives
 * it. Express runs its body parser (and any `app.use()` middleware) before Nest's route middleware,
 * so a malformed JSON body is answered before TransactionIdMiddleware runs; this listener still puts
 * the ID on that answer, and the middleware then opens the scope with the same ID.
 * Returns the function that removes the listener again.
 */
export function attachServerTransactionId(
  server: Server,
  header: string,
  requestIdHeaders: readonly string[] = [],
): () => void {
  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    decideTransactionId(request, response, header, requestIdHeaders);
  };
  server.prependListener('request', listener);
  return () => {
    server.removeListener('request', listener);
  };
}
