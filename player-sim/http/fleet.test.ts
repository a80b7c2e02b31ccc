import { describe, expect, it } from 'vitest';
import { codeOf } from '../../test/helpers/errors.js';
import { seededRandom } from '../../common/random.js';
import { alignColumns, clientIpFor, poissonArrivalsMs, slotClientIp } from './fleet.js';
import { qoeTraceName, toSessionSummary } from './session.js';

describe('clientIpFor', () => {
  it('spreads sessions over an IPv4 prefix, skipping the network and broadcast addresses', () => {
    expect([0, 1, 253, 254].map((i) => clientIpFor('198.51.100.0/24', i))).toEqual([
      '198.51.100.1',
      '198.51.100.2',
      '198.51.100.254',
      '198.51.100.1',
    ]);
    expect([0, 1, 2].map((i) => clientIpFor('10.0.0.0/31', i))).toEqual(['10.0.0.0', '10.0.0.1', '10.0.0.0']);
    expect(clientIpFor('10.0.0.0/30', 5)).toBe('10.0.0.2');
  });

  it('IPv6 prefixes and single addresses; none without a spec', () => {
    expect(clientIpFor('2001:db8::/64', 0)).toBe('2001:db8::');
    expect(clientIpFor('2001:db8::/64', 10)).toBe('2001:db8::a');
    expect(clientIpFor('2001:db8::7', 3)).toBe('2001:db8::7');
    expect(clientIpFor('203.0.113.9', 3)).toBe('203.0.113.9');
    expect(clientIpFor(undefined, 3)).toBeUndefined();
  });

  it('refuses what is not an address or a prefix', () => {
    for (const bad of ['nope', '300.1.1.1', '10.0.0.1/24', '10.0.0.0/40']) {
      expect(
        codeOf(() => clientIpFor(bad, 0)),
        bad,
      ).toBe('PLAYER_ERR_INVALID_OPTIONS');
    }
  });
});

describe('slotClientIp', () => {
  it('alternates over several prefixes, each giving its hosts in turn', () => {
    const specs = ['198.51.100.0/24', '203.0.113.0/24'];
    expect([0, 1, 2, 3, 4].map((i) => slotClientIp(specs, i))).toEqual([
      '198.51.100.1',
      '203.0.113.1',
      '198.51.100.2',
      '203.0.113.2',
      '198.51.100.3',
    ]);
    expect(slotClientIp('198.51.100.0/24', 2)).toBe('198.51.100.3');
    expect(slotClientIp([], 2)).toBeUndefined();
    expect(slotClientIp(undefined, 2)).toBeUndefined();
    expect(codeOf(() => slotClientIp(['198.51.100.0/24', 'nope'], 1))).toBe('PLAYER_ERR_INVALID_OPTIONS');
  });
});

describe('poissonArrivalsMs', () => {
  it('starts at 0, never goes back, has mean gaps of 1/rate, and repeats for a seed', () => {
    const times = poissonArrivalsMs(2000, 10, seededRandom(7));
    expect(times[0]).toBe(0);
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    const meanGapMs = times[times.length - 1]! / (times.length - 1);
    expect(meanGapMs).toBeGreaterThan(90);
    expect(meanGapMs).toBeLessThan(110);
    expect(poissonArrivalsMs(5, 10, seededRandom(7))).toEqual(times.slice(0, 5));
  });

  it('refuses a rate that is not positive', () => {
    expect(codeOf(() => poissonArrivalsMs(3, 0, seededRandom(1)))).toBe('PLAYER_ERR_INVALID_OPTIONS');
    expect(codeOf(() => poissonArrivalsMs(3, Number.NaN, seededRandom(1)))).toBe(
      'PLAYER_ERR_INVALID_OPTIONS',
    );
  });
});

describe('QoE event fields', () => {
  it('trace names become printable ASCII without spaces, at most 256', () => {
    expect(qoeTraceName('report bus 0001.json')).toBe('report_bus_0001.json');
    expect(qoeTraceName('é'.repeat(300))).toHaveLength(256);
    expect(qoeTraceName('')).toBe('trace');
  });

  it('the session summary keeps finite values only and adds the session facts', () => {
    const summary = toSessionSummary(
      {
        playedMs: 1000,
        rebufferCount: 0,
        rebufferDurationMs: 0,
        rebufferRatio: 0,
        avgBitrateBps: 500_000,
        avgVmaf: Number.NaN,
        switchCount: 0,
        switchMagnitudeBps: 0,
        qoeLin: 1.5,
      },
      { strategy: 'bba', titleId: 'clip', trace: 'a b', failovers: 2 },
    );
    expect(summary).toEqual({
      playedMs: 1000,
      rebufferCount: 0,
      rebufferDurationMs: 0,
      rebufferRatio: 0,
      avgBitrateBps: 500_000,
      switchCount: 0,
      switchMagnitudeBps: 0,
      qoeLin: 1.5,
      strategy: 'bba',
      titleId: 'clip',
      trace: 'a_b',
      failovers: 2,
    });
  });
});

describe('alignColumns', () => {
  it('pads every column to its widest cell', () => {
    expect(
      alignColumns([
        ['a', 'bb'],
        ['ccc', 'd'],
      ]),
    ).toBe('a    bb\nccc  d');
  });
});
