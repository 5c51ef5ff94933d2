import type { ApiLog, DataLog } from '../store/audit-entry';
import { mergeTimeline } from './transaction-trail';

const at = (ms: number) => new Date(Date.UTC(2026, 3, 18, 14, 0, 0, ms));

const data = (id: number, ms: number) => ({ id, createdAt: at(ms) }) as DataLog;
const api = (id: number, ms: number) => ({ id, createdAt: at(ms) }) as ApiLog;

const story = (timeline: ReturnType<typeof mergeTimeline>) => timeline.map((item) => `${item.kind}#${item.log.id}`);

describe('mergeTimeline', () => {
  it('interleaves the two trails by time', () => {
    const timeline = mergeTimeline([data(1, 10), data(2, 30), data(3, 50)], [api(1, 20), api(2, 40)]);

    expect(story(timeline)).toEqual(['data#1', 'api#1', 'data#2', 'api#2', 'data#3']);
  });

  it('puts the data row first on a tie and keeps each trail in its own order', () => {
    const timeline = mergeTimeline([data(8, 10), data(9, 10)], [api(4, 10), api(5, 10)]);

    expect(story(timeline)).toEqual(['data#8', 'data#9', 'api#4', 'api#5']);
  });

  it('handles one or both trails empty', () => {
    expect(story(mergeTimeline([], [api(1, 5), api(2, 6)]))).toEqual(['api#1', 'api#2']);
    expect(story(mergeTimeline([data(1, 5)], []))).toEqual(['data#1']);
    expect(mergeTimeline([], [])).toEqual([]);
  });
});
