import { describe, expect, it } from 'vitest';
import { codeOf } from '../test/helpers/errors.js';
import { meanBandwidthKbps, parseSabreTrace, parseTextTrace, parseTrace, scaleTrace } from './trace.js';

describe('Sabre JSON traces', () => {
  it('reads periods of duration, bandwidth and latency', () => {
    const trace = parseTrace(
      '[{"duration_ms": 1000, "bandwidth_kbps": 4000, "latency_ms": 20}, {"duration_ms": 500, "bandwidth_kbps": 0, "latency_ms": 75}]',
      't.json',
    );
    expect(trace).toEqual({
      name: 't.json',
      intervals: [
        { durationMs: 1000, bandwidthKbps: 4000, latencyMs: 20 },
        { durationMs: 500, bandwidthKbps: 0, latencyMs: 75 },
      ],
      durationMs: 1500,
    });
    expect(meanBandwidthKbps(trace)).toBeCloseTo((1000 * 4000) / 1500, 9);
  });

  it('takes a missing latency as 0 and drops zero-length periods', () => {
    const trace = parseSabreTrace(
      [
        { duration_ms: 0, bandwidth_kbps: 100 },
        { duration_ms: 250, bandwidth_kbps: 100 },
      ],
      'x',
    );
    expect(trace.intervals).toEqual([{ durationMs: 250, bandwidthKbps: 100, latencyMs: 0 }]);
  });

  it.each([
    ['not JSON', '[{"duration_ms": 1', 'PLAYER_ERR_TRACE_PARSE'],
    ['not an array', '{"duration_ms": 1}', 'PLAYER_ERR_TRACE_PARSE'],
    ['an entry that is not an object', '[1, 2]', 'PLAYER_ERR_TRACE_PARSE'],
    ['an empty array', '[]', 'PLAYER_ERR_TRACE_EMPTY'],
    ['only zero-length periods', '[{"duration_ms": 0, "bandwidth_kbps": 5}]', 'PLAYER_ERR_TRACE_EMPTY'],
    ['a negative bandwidth', '[{"duration_ms": 10, "bandwidth_kbps": -1}]', 'PLAYER_ERR_TRACE_NEGATIVE'],
    ['a negative duration', '[{"duration_ms": -10, "bandwidth_kbps": 1}]', 'PLAYER_ERR_TRACE_NEGATIVE'],
    [
      'a negative latency',
      '[{"duration_ms": 10, "bandwidth_kbps": 1, "latency_ms": -3}]',
      'PLAYER_ERR_TRACE_NEGATIVE',
    ],
    ['a string bandwidth', '[{"duration_ms": 10, "bandwidth_kbps": "5"}]', 'PLAYER_ERR_TRACE_NOT_NUMERIC'],
    ['a null duration', '[{"duration_ms": null, "bandwidth_kbps": 5}]', 'PLAYER_ERR_TRACE_NOT_NUMERIC'],
    ['a missing bandwidth', '[{"duration_ms": 10}]', 'PLAYER_ERR_TRACE_NOT_NUMERIC'],
    [
      'zero bandwidth everywhere',
      '[{"duration_ms": 10, "bandwidth_kbps": 0}, {"duration_ms": 5, "bandwidth_kbps": 0}]',
      'PLAYER_ERR_TRACE_ALL_ZERO',
    ],
  ])('refuses %s', (_what, text, code) => {
    expect(codeOf(() => parseTrace(text, 'bad.json'))).toBe(code);
  });

  it('refuses non-finite numbers given as parsed data', () => {
    expect(codeOf(() => parseSabreTrace([{ duration_ms: Infinity, bandwidth_kbps: 1 }], 'x'))).toBe(
      'PLAYER_ERR_TRACE_NOT_NUMERIC',
    );
    expect(codeOf(() => parseSabreTrace([{ duration_ms: 1, bandwidth_kbps: Number.NaN }], 'x'))).toBe(
      'PLAYER_ERR_TRACE_NOT_NUMERIC',
    );
  });
});

describe('Pensieve "seconds Mbps" traces', () => {
  it('turns cumulative timestamps into intervals, each line filling the time up to its timestamp', () => {
    const trace = parseTrace('# comment\n0 1.0\n1 2\n\n3\t0.5\n', 'cooked', { latencyMs: 40 });
    expect(trace.intervals).toEqual([
      { durationMs: 1000, bandwidthKbps: 2000, latencyMs: 40 },
      { durationMs: 2000, bandwidthKbps: 500, latencyMs: 40 },
    ]);
    expect(trace.durationMs).toBe(3000);
  });

  it("gives every interval Pensieve's 80 ms link RTT by default", () => {
    expect(parseTextTrace('0 1\n2.5 3\n', 'c').intervals).toEqual([
      { durationMs: 2500, bandwidthKbps: 3000, latencyMs: 80 },
    ]);
  });

  it.each([
    ['one line only', '0 5\n', 'PLAYER_ERR_TRACE_EMPTY'],
    ['an empty file', '\n\n', 'PLAYER_ERR_TRACE_EMPTY'],
    ['three fields', '0 1 2\n1 1\n', 'PLAYER_ERR_TRACE_PARSE'],
    ['a word', '0 1\n1 fast\n', 'PLAYER_ERR_TRACE_NOT_NUMERIC'],
    ['hexadecimal', '0 1\n1 0x10\n', 'PLAYER_ERR_TRACE_NOT_NUMERIC'],
    ['a negative rate', '0 1\n1 -2\n', 'PLAYER_ERR_TRACE_NEGATIVE'],
    ['time going backwards', '0 1\n2 1\n1 1\n', 'PLAYER_ERR_TRACE_TIME_ORDER'],
    ['a repeated timestamp', '0 1\n1 1\n1 2\n', 'PLAYER_ERR_TRACE_TIME_ORDER'],
    ['zero bandwidth everywhere', '0 0\n1 0\n2 0\n', 'PLAYER_ERR_TRACE_ALL_ZERO'],
  ])('refuses %s', (_what, text, code) => {
    expect(codeOf(() => parseTrace(text, 'bad.txt'))).toBe(code);
  });

  it('refuses a negative default latency', () => {
    expect(codeOf(() => parseTextTrace('0 1\n1 1\n', 'c', { latencyMs: -1 }))).toBe(
      'PLAYER_ERR_INVALID_OPTIONS',
    );
  });
});

describe('scaleTrace', () => {
  it('multiplies bandwidth only', () => {
    const trace = parseTrace('[{"duration_ms": 100, "bandwidth_kbps": 300, "latency_ms": 9}]', 't');
    expect(scaleTrace(trace, 2).intervals).toEqual([{ durationMs: 100, bandwidthKbps: 600, latencyMs: 9 }]);
    expect(codeOf(() => scaleTrace(trace, 0))).toBe('PLAYER_ERR_INVALID_OPTIONS');
  });
});
