/**
 * The header that carries a request's transaction ID, in both directions: a client may send its own,
 * and every response carries the one its audit rows were stamped with.
 */
export const TRANSACTION_HEADER = 'X-Transaction-Id';
