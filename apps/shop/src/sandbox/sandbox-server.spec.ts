import { parseLatency } from './sandbox-server';

describe('parseLatency (SANDBOX_LATENCY_MS)', () => {
  it('reads a fixed delay or a range, and nothing when unset', () => {
    expect(parseLatency(undefined)).toBeUndefined();
    expect(parseLatency('')).toBeUndefined();
    expect(parseLatency('0')).toEqual({ min: 0, max: 0 });
    expect(parseLatency('250')).toEqual({ min: 250, max: 250 });
    expect(parseLatency(' 300 - 900 ')).toEqual({ min: 300, max: 900 });
  });

  it.each(['fast', '-5', '900-300', '1.5', '10-', '9999999'])('refuses %j, naming the variable', (value) => {
    expect(() => parseLatency(value)).toThrow(/^SANDBOX_LATENCY_MS must be milliseconds/);
  });
});
