import { describe, expect, it } from 'vitest';
import { selfTimes } from './cpuProfile.js';
import { loadBenchOptions } from './options.js';
import { fmt, median, ratio, table } from './stats.js';

describe('bench stats', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('gives NaN ratios and dashes for missing values', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeNaN();
    expect(ratio(undefined, 2)).toBeNaN();
    expect(fmt(Number.NaN)).toBe('-');
    expect(fmt(1.234, 2)).toBe('1.23');
  });

  it('aligns table columns', () => {
    expect(
      table([
        ['a', 'bb'],
        ['ccc', 'd'],
      ]),
    ).toBe('a    bb\nccc  d');
  });
});

describe('bench options', () => {
  it('reads flags, with quick defaults', () => {
    expect(loadBenchOptions(['--quick', '--out', 'r.json']).options).toMatchObject({
      quick: true,
      durationS: 3,
      rounds: 1,
      out: 'r.json',
    });
    const { options, extra } = loadBenchOptions(['--duration', '7', '--herd', '20'], {
      herd: { type: 'string' },
    });
    expect(options.durationS).toBe(7);
    expect(extra.herd).toBe('20');
  });

  it('names the option of a bad value', () => {
    expect(() => loadBenchOptions(['--rounds', 'x'])).toThrow(/--rounds/);
    expect(() => loadBenchOptions(['--nope'])).toThrow();
  });
});

describe('cpu profile self times', () => {
  // Three frames; samples every 1000 µs: a, a, b, c, a (ends at 5000).
  const profile = {
    nodes: [
      { id: 1, callFrame: { functionName: 'a', url: 'file:///p/x.js', lineNumber: 9 } },
      { id: 2, callFrame: { functionName: '', url: '', lineNumber: -1 } },
      { id: 3, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
    ],
    startTime: 0,
    endTime: 5000,
    samples: [1, 1, 2, 3, 1],
    timeDeltas: [1000, 1000, 1000, 1000, 1000],
  };

  it('ranks functions by self time with their place', () => {
    const rows = selfTimes(profile, '/p');
    expect(rows[0]).toEqual({ name: 'a (x.js:10)', selfMs: 3, pct: 60 });
    expect(rows.map((r) => r.name)).toEqual(['a (x.js:10)', '(anonymous)', '(idle)']);
  });

  it('keeps only the samples inside the window before the end', () => {
    // Samples at 2000, 3000 and 4000 µs: 3000 to 1000 µs before the end.
    const rows = selfTimes(profile, '/p', { fromEndUs: 3000, toEndUs: 1000 });
    expect(rows.map((r) => [r.name, r.selfMs])).toEqual([
      ['a (x.js:10)', 1],
      ['(anonymous)', 1],
      ['(idle)', 1],
    ]);
  });
});
