import { formatDuration, layoutTimeline, type TimelineEntry } from './timeline';

const at = (ms: number) => new Date(Date.UTC(2025, 0, 1) + ms).toISOString();

describe('explorer timeline layout', () => {
  it('places changes as points and calls as bars on one axis from the first start to the last end', () => {
    // The checkout: create, bca call (0.2 s), update, jne call (0.3 s), update.
    const timeline: TimelineEntry[] = [
      { kind: 'data', log: { id: 1, createdAt: at(0) } },
      { kind: 'api', log: { id: 1, createdAt: at(10), durationMs: 200 } },
      { kind: 'data', log: { id: 2, createdAt: at(215) } },
      { kind: 'api', log: { id: 2, createdAt: at(220), durationMs: 300 } },
      { kind: 'data', log: { id: 3, createdAt: at(525) } },
    ];
    const layout = layoutTimeline(timeline);
    expect(layout.spanMs).toBe(525);
    expect(layout.entries.map((entry) => [entry.key, entry.offsetMs])).toEqual([
      ['data-1', 0],
      ['api-1', 10],
      ['data-2', 215],
      ['api-2', 220],
      ['data-3', 525],
    ]);
    expect(layout.entries[0]).toMatchObject({ left: 0, width: 0 });
    expect(layout.entries[1].left).toBeCloseTo((10 / 525) * 100);
    expect(layout.entries[1].width).toBeCloseTo((200 / 525) * 100);
    expect(layout.entries[4]).toMatchObject({ left: 100, width: 0 });
    expect(layout.ticks).toEqual([0, 131, 263, 394, 525]);
  });

  it('extends the axis to the end of a call that outlasts every change', () => {
    const layout = layoutTimeline([
      { kind: 'data', log: { id: 1, createdAt: at(0) } },
      { kind: 'api', log: { id: 1, createdAt: at(100), durationMs: 900 } },
    ]);
    expect(layout.spanMs).toBe(1000);
    expect(layout.entries[1].left + layout.entries[1].width).toBeCloseTo(100);
  });

  it('draws rows of a single millisecond, and nothing for an empty trail', () => {
    const layout = layoutTimeline([
      { kind: 'data', log: { id: 1, createdAt: at(5) } },
      { kind: 'data', log: { id: 2, createdAt: at(5) } },
    ]);
    expect(layout.spanMs).toBe(1);
    expect(layout.entries.map((entry) => entry.left)).toEqual([0, 0]);
    expect(layoutTimeline([]).entries).toEqual([]);
  });

  it('formats durations', () => {
    expect([0, 12.4, 999, 1000, 1250, 59_999, 60_000, 125_000].map(formatDuration)).toEqual([
      '0 ms',
      '12 ms',
      '999 ms',
      '1 s',
      '1.25 s',
      '60 s',
      '1 min',
      '2 min 5 s',
    ]);
  });
});
