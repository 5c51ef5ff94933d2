import { activeSpanTrace, traceOfTraceparent } from './trace-context';

describe('traceOfTraceparent', () => {
  it('reads the trace and parent span of a W3C traceparent', () => {
    expect(traceOfTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toEqual({
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
    });
  });

  it.each([
    ['absent', undefined],
    ['repeated', ['a', 'b']],
    ['upper case', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['all-zero trace', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['all-zero span', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`],
    ['short', '00-4bf92f35-00f067aa-01'],
    ['injected', "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'; DROP"],
  ])('ignores a traceparent that is %s', (_case, value) => {
    expect(traceOfTraceparent(value)).toBeUndefined();
  });
});

describe('activeSpanTrace', () => {
  it('is undefined when the application does not run OpenTelemetry', () => {
    expect(activeSpanTrace()).toBeUndefined();
  });
});
