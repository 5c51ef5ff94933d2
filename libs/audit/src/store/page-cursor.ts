/**
 * Keyset paging for the newest-first queries. OFFSET makes the database walk and throw away every
 * row before the page, so page 5,000 costs 5,000 pages; `id < beforeId` starts at the right place in
 * the primary key whatever the depth, and rows written meanwhile never shift a page.
 *
 *   let page = await audit.query({ entityType: 'orders', limit: 100 });
 *   while (page.length) {
 *     ...
 *     const beforeId = nextCursor(page, 100);
 *     if (beforeId === undefined) break;
 *     page = await audit.query({ entityType: 'orders', limit: 100, beforeId });
 *   }
 */

/**
 * The `beforeId` of the page after `page` (a newest-first page fetched with `limit`), or undefined
 * when `page` was the last one: a page shorter than its limit, or fetched without a limit, has no
 * successor. A full last page costs one more (empty) query to find out.
 */
export function nextCursor(page: ReadonlyArray<{ id: number }>, limit: number | undefined): number | undefined {
  if (page.length === 0 || limit === undefined || !(limit > 0) || page.length < limit) return undefined;
  return page[page.length - 1].id;
}

/** Checks a `beforeId` filter value: a query must not silently ignore a cursor it cannot use. */
export function keysetCursor(beforeId: number | undefined | null): number | undefined {
  if (beforeId === undefined || beforeId === null) return undefined;
  if (typeof beforeId !== 'number' || !Number.isSafeInteger(beforeId)) {
    throw new Error(
      `nestjs-audit-trail: beforeId must be the integer id of a row (the last id of the previous page), got ${String(beforeId)}`,
    );
  }
  return beforeId;
}
