import { describe, expect, it } from 'vitest';
import { parseSteeringReport, steeringPriority, type PriorityInput } from './pathways.js';

describe('parseSteeringReport', () => {
  it('reads HLS parameters with and without quotes', () => {
    expect(parseSteeringReport({ _HLS_pathway: '"edge-a"', _HLS_throughput: '5000000' })).toEqual({
      ok: true,
      reports: [{ pathway: 'edge-a', throughputBps: 5_000_000 }],
    });
    expect(parseSteeringReport({ _HLS_pathway: 'edge-a' })).toEqual({
      ok: true,
      reports: [{ pathway: 'edge-a' }],
    });
    expect(parseSteeringReport({})).toEqual({ ok: true, reports: [] });
  });

  it('reads DASH lists paired by position, missing throughputs at the end', () => {
    expect(parseSteeringReport({ _DASH_pathway: '"b,a,c"', _DASH_throughput: '9000000,120000' })).toEqual({
      ok: true,
      reports: [
        { pathway: 'b', throughputBps: 9_000_000 },
        { pathway: 'a', throughputBps: 120_000 },
        { pathway: 'c' },
      ],
    });
    expect(parseSteeringReport({ _DASH_pathway: '"a"', _DASH_throughput: '' })).toEqual({
      ok: true,
      reports: [{ pathway: 'a' }],
    });
  });

  it('refuses malformed reports', () => {
    for (const q of [
      { _HLS_pathway: 'a', _HLS_throughput: 'fast' },
      { _HLS_pathway: 'a,b' },
      { _HLS_throughput: '100' },
      { _DASH_pathway: 'a b' },
      { _DASH_pathway: 'a', _DASH_throughput: '1,2' },
      { _DASH_pathway: 'a', _DASH_throughput: '-5' },
    ]) {
      expect(parseSteeringReport(q).ok, JSON.stringify(q)).toBe(false);
    }
  });
});

const input = (extra: Partial<PriorityInput>): PriorityInput => ({
  ranking: ['a', 'b', 'c'],
  reports: [],
  memory: undefined,
  nowMs: 1000,
  minThroughputBps: 1_000_000,
  holdMs: 60_000,
  ...extra,
});

describe('steeringPriority', () => {
  it('a session on an edge as good as the first keeps it; a worse or demoted one does not', () => {
    const same = { sameTierAsFirst: ['a', 'b'] };
    // The player reports b; a is first only by a tie-break (both announce the client's prefix).
    expect(steeringPriority(input({ ...same, reports: [{ pathway: 'b' }] })).priority).toEqual([
      'b',
      'a',
      'c',
    ]);
    // c is in a worse tier (say the default cluster): the session is moved to the first.
    expect(steeringPriority(input({ ...same, reports: [{ pathway: 'c' }] })).priority).toEqual([
      'a',
      'b',
      'c',
    ]);
    // Without tiers (an older caller) nothing sticks.
    expect(steeringPriority(input({ reports: [{ pathway: 'b' }] })).priority).toEqual(['a', 'b', 'c']);
    // Too slow to play the lowest rung: demoted, not kept.
    expect(
      steeringPriority(input({ ...same, reports: [{ pathway: 'b', throughputBps: 10_000 }] })).priority,
    ).toEqual(['a', 'c', 'b']);
    // An edge out of the ranking (out of rotation) cannot be kept.
    expect(
      steeringPriority(input({ ...same, ranking: ['a', 'c'], reports: [{ pathway: 'b' }] })).priority,
    ).toEqual(['a', 'c']);
  });

  it('keeps the ranking without reports and remembers the first pathway', () => {
    const r = steeringPriority(input({}));
    expect(r.priority).toEqual(['a', 'b', 'c']);
    expect(r.memory).toEqual({ lastFirst: 'a', demotedUntilMs: {} });
    expect(r.demoted).toEqual([]);
  });

  it('demotes a pathway reported below the floor, for the hold time', () => {
    const r = steeringPriority(input({ reports: [{ pathway: 'a', throughputBps: 400_000 }] }));
    expect(r.priority).toEqual(['b', 'c', 'a']);
    expect(r.demoted).toEqual([{ pathway: 'a', reason: 'slow' }]);
    // Still demoted on the next reload without a new report, back once the hold is over.
    const later = steeringPriority(input({ memory: r.memory, nowMs: 30_000 }));
    expect(later.priority).toEqual(['b', 'c', 'a']);
    const after = steeringPriority(input({ memory: later.memory, nowMs: 61_001 }));
    expect(after.priority).toEqual(['a', 'b', 'c']);
    // A fast report changes nothing.
    expect(
      steeringPriority(input({ reports: [{ pathway: 'a', throughputBps: 4_000_000 }] })).priority,
    ).toEqual(['a', 'b', 'c']);
  });

  it('demotes the pathway the player left since the last answer', () => {
    const first = steeringPriority(input({}));
    const r = steeringPriority(input({ memory: first.memory, reports: [{ pathway: 'b' }], nowMs: 2000 }));
    expect(r.priority).toEqual(['b', 'c', 'a']);
    expect(r.demoted).toEqual([{ pathway: 'a', reason: 'left' }]);
    expect(r.memory.lastFirst).toBe('b');
    // Reporting the pathway it was given is no failover.
    expect(steeringPriority(input({ memory: first.memory, reports: [{ pathway: 'a' }] })).priority).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('keeps the order when every pathway is demoted', () => {
    const r = steeringPriority(
      input({
        reports: [
          { pathway: 'a', throughputBps: 1 },
          { pathway: 'b', throughputBps: 1 },
          { pathway: 'c', throughputBps: 1 },
        ],
      }),
    );
    expect(r.priority).toEqual(['a', 'b', 'c']);
  });
});
