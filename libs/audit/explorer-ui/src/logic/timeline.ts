/** The fields of a transaction trail's timeline the layout reads (JSON: times as ISO text). */
export type TimelineEntry =
  | { kind: 'data'; log: { id: number; createdAt: string } }
  | { kind: 'api'; log: { id: number; createdAt: string; durationMs: number } };

export interface PlacedEntry<T extends TimelineEntry = TimelineEntry> {
  entry: T;
  key: string;
  /** Milliseconds from the start of the transaction's first row. */
  offsetMs: number;
  /** Position on the time axis, 0 to 100 (per cent of the span). */
  left: number;
  /** Width on the axis in per cent: 0 for a data change (a point), the call's duration for a call (a bar). */
  width: number;
}

export interface TimelineLayout<T extends TimelineEntry = TimelineEntry> {
  startMs: number;
  spanMs: number;
  entries: Array<PlacedEntry<T>>;
  /** Axis labels: offsets in ms at 0, ¼, ½, ¾ and the end of the span. */
  ticks: number[];
}

export const entryKey = (entry: TimelineEntry): string => `${entry.kind}-${entry.log.id}`;

/**
 * Places each row of a transaction on one time axis: data changes as points at their time, calls as
 * bars from their start for their duration. The axis spans from the first start to the last end.
 */
export function layoutTimeline<T extends TimelineEntry>(timeline: readonly T[]): TimelineLayout<T> {
  const starts = timeline.map((entry) => Date.parse(entry.log.createdAt));
  const ends = timeline.map((entry, index) =>
    entry.kind === 'api' ? starts[index] + Math.max(0, entry.log.durationMs) : starts[index],
  );
  const startMs = starts.length ? Math.min(...starts) : 0;
  const endMs = ends.length ? Math.max(...ends) : 0;
  // A transaction whose rows share one millisecond still gets an axis to draw on.
  const spanMs = Math.max(1, endMs - startMs);
  const entries = timeline.map((entry, index) => {
    const offsetMs = starts[index] - startMs;
    const duration = entry.kind === 'api' ? Math.max(0, entry.log.durationMs) : 0;
    return {
      entry,
      key: entryKey(entry),
      offsetMs,
      left: (offsetMs / spanMs) * 100,
      width: (duration / spanMs) * 100,
    };
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((fraction) => Math.round(spanMs * fraction));
  return { startMs, spanMs, entries, ticks };
}

/** A duration as people read it: `850 ms`, `1.25 s`, `2 min 5 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2).replace(/\.?0+$/, '')} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
}
