import type { ApiLog, DataLog } from '../store/audit-entry';

/** One step of a transaction's story, tagged with the trail it came from. */
export type TimelineItem = { kind: 'data'; log: DataLog } | { kind: 'api'; log: ApiLog };

/** Everything recorded under one transaction ID (docs/behaviour.md, "Queries"). */
export interface TransactionTrail {
  transactionId: string;
  /** Data-trail rows in the order they happened: created_at, then id. Empty when that trail is off. */
  dataLogs: DataLog[];
  /** API-trail rows in the order they happened: created_at, then id. Empty when that trail is off. */
  apiLogs: ApiLog[];
  /** Both lists merged by created_at; see `mergeTimeline` for ties. */
  timeline: TimelineItem[];
}

/**
 * Merges two lists that are each already in the order they happened. Ids of different tables say
 * nothing about each other, so rows of both trails stamped in the same millisecond have no true order:
 * the data row goes first (a deterministic choice, not a claim), and each trail keeps its own order.
 */
export function mergeTimeline(dataLogs: readonly DataLog[], apiLogs: readonly ApiLog[]): TimelineItem[] {
  const timeline: TimelineItem[] = [];
  let d = 0;
  let a = 0;
  while (d < dataLogs.length || a < apiLogs.length) {
    const data = dataLogs[d];
    const api = apiLogs[a];
    if (data && (!api || data.createdAt.getTime() <= api.createdAt.getTime())) {
      timeline.push({ kind: 'data', log: data });
      d++;
    } else {
      timeline.push({ kind: 'api', log: api });
      a++;
    }
  }
  return timeline;
}
