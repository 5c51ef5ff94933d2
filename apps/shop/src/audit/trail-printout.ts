/** The fields of a trail the printout needs; dates may be ISO text, as they arrive over HTTP. */
export interface TrailRows {
  dataLogs: Array<{ action: string; entityType: string; entityId: string }>;
  apiLogs: Array<{ method: string; service: string; endpoint: string; durationMs: number }>;
}

/**
 * The printout of a transaction: one line per row, the data rows first, then the API rows,
 * each trail in the order it happened.
 *
 *     [data] create orders#7
 *     [api] POST bca /v1/transfer (842 ms)
 */
export function trailLines(trail: TrailRows): string[] {
  return [
    ...trail.dataLogs.map((row) => `[data] ${row.action} ${row.entityType}#${row.entityId}`),
    ...trail.apiLogs.map((row) => `[api] ${row.method} ${row.service} ${row.endpoint} (${row.durationMs} ms)`),
  ];
}

/**
 * What a successful checkout of `orderId` must have left in its trail, compared with what is there:
 * undefined when the trail is complete, else a sentence saying what differs.
 */
export function checkoutTrailProblem(trail: TrailRows, orderId: number): string | undefined {
  const expected = [
    `[data] create orders#${orderId}`,
    `[data] update orders#${orderId}`,
    `[data] update orders#${orderId}`,
    '[api] POST bca /v1/transfer',
    '[api] POST jne /v2/shipments',
  ];
  // Durations vary from run to run; the rest of each line must match.
  const actual = trailLines(trail).map((line) => line.replace(/ \(\d+ ms\)$/, ''));
  const missing = expected.filter((line, index) => actual[index] !== line);
  if (missing.length === 0 && actual.length === expected.length) return undefined;
  return `the trail should read\n  ${expected.join('\n  ')}\nbut reads\n  ${actual.join('\n  ') || '(nothing)'}`;
}
