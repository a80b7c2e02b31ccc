import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import { formatIsoDurationS, parseIsoDurationS, plainDecimal } from './duration.js';

describe('parseIsoDurationS', () => {
  it.each([
    ['PT10S', 10],
    ['PT2S', 2],
    ['PT1H2M3.5S', 3723.5],
    ['PT0S', 0],
    ['P1D', 86_400],
    ['P1DT1H', 90_000],
    ['PT1.S', 1],
    ['PT.25S', 0.25],
    ['PT0.000001S', 0.000001],
    ['P1Y', 365 * 86_400],
    ['P1M', 30 * 86_400],
    ['PT1M', 60],
    ['-PT5S', -5],
    [' PT4S ', 4],
    ['PT634.566S', 634.566],
  ])('%s → %d s', (text, seconds) => {
    expect(parseIsoDurationS(text)).toBe(seconds);
  });

  it('reads -PT0S as zero, not negative zero', () => {
    expect(Object.is(parseIsoDurationS('-PT0S'), 0)).toBe(true);
  });

  it.each([
    '',
    'P',
    'PT',
    'T1S',
    'PT1',
    'P1S',
    'PT1.5M',
    'PT-1S',
    'PTS',
    'P1YT',
    '1S',
    'PT1e3S',
    'PT1,5S',
    'P1W',
  ])('refuses %j', (text) => {
    expect(parseIsoDurationS(text)).toBeUndefined();
  });

  it('refuses absurdly long or infinite values', () => {
    expect(parseIsoDurationS(`PT${'9'.repeat(400)}S`)).toBeUndefined();
    expect(parseIsoDurationS(`PT${'9'.repeat(320)}S`)).toBeUndefined(); // beyond Number.MAX_VALUE
    expect(parseIsoDurationS(`PT${'9'.repeat(90)}S`)).toBe(1e90);
  });
});

describe('formatIsoDurationS', () => {
  it.each([
    [10, 'PT10S'],
    [3723.5, 'PT1H2M3.5S'],
    [0, 'PT0S'],
    [-0, 'PT0S'],
    [60, 'PT1M'],
    [3600, 'PT1H'],
    [90_000, 'PT25H'],
    [0.1, 'PT0.1S'],
    [1e-7, 'PT0.0000001S'],
    [1e21, 'PT277777777777777777H46M40S'],
    [-5.5, '-PT5.5S'],
  ])('%d s → %s', (seconds, text) => {
    expect(formatIsoDurationS(seconds)).toBe(text);
  });

  it('refuses NaN and infinities', () => {
    expect(() => formatIsoDurationS(Number.NaN)).toThrow(RangeError);
    expect(() => formatIsoDurationS(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('round-trips exactly for any finite number', () => {
    const random = seededRandom(7);
    const samples: number[] = [
      Number.MIN_VALUE,
      Number.MAX_VALUE,
      2 ** 53 + 2,
      1 / 3,
      0.1 + 0.2,
      1e-300,
      123456.789,
    ];
    for (let i = 0; i < 3000; i++) {
      const scale = 10 ** Math.floor(random() * 40 - 20);
      const value = (random() - 0.3) * scale;
      samples.push(value, Math.round(value), random() * 100_000);
    }
    for (const s of samples) {
      const back = parseIsoDurationS(formatIsoDurationS(s));
      expect(back === s || (s === 0 && back === 0)).toBe(true);
    }
  });
});

describe('plainDecimal', () => {
  it.each([
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [-2.5e30, '-2500000000000000000000000000000'],
    [12.5, '12.5'],
    [1.2345e22, '12345000000000000000000'],
  ])('%d → %s', (n, text) => {
    expect(plainDecimal(n)).toBe(text);
    expect(Number(text)).toBe(n);
  });
});
