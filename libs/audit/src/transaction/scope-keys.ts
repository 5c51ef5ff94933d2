/**
 * Keys under which the request scope keeps its values in nestjs-cls. Only the transaction layer
 * reads or writes them; every other layer asks AuditContext.
 */
export const CLS_TRANSACTION_ID = 'nestjs-audit-trail:transaction-id';
export const CLS_REQUEST = 'nestjs-audit-trail:request';
export const CLS_REQUEST_METADATA = 'nestjs-audit-trail:request-metadata';
