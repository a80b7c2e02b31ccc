import { describe, expect, it } from 'vitest';
import { codeOfAsync } from '../test/helpers/errors.js';
import { constantTrace, evenLadder, stepTrace } from '../test/player/helpers.js';
import {
  fleetToCsv,
  fleetToJson,
  formatFleetTable,
  runVirtualFleet,
  summarize,
  type FleetSession,
} from './fleet.js';

const ladder = evenLadder([300, 800, 1600, 3200], 20, 3000);
const traces = [
  stepTrace(
    [
      [20_000, 4000],
      [20_000, 600],
    ],
    20,
    'wobbly',
  ),
  constantTrace(6000, 30),
  stepTrace([[10_000, 1200]], 50, 'slow'),
];

describe('virtual fleets', () => {
  it('plays every strategy on the same assignments and reports each against the optimum', async () => {
    const seen: FleetSession[] = [];
    const report = await runVirtualFleet({
      ladder,
      traces,
      strategies: ['quality', 'bba'],
      sessions: 5,
      onSession: (s) => seen.push(s),
    });
    expect(report.objective).toBe('lin');
    expect(report.sessions).toHaveLength(10);
    expect(seen).toEqual(report.sessions);
    const assignment = (name: string) =>
      report.sessions
        .filter((s) => s.strategy === name)
        .map((s) => [s.index, s.trace, s.offsetMs, s.optimumQoe]);
    expect(assignment('quality')).toEqual(assignment('bba'));
    expect(assignment('quality').map((a) => a[1])).toEqual([
      'wobbly',
      'const-6000',
      'slow',
      'wobbly',
      'const-6000',
    ]);
    for (const s of report.sessions) {
      expect(s.outcome).toBe('completed');
      expect(s.fractionOfOptimum).toBeCloseTo(s.qoe.qoeLin / s.optimumQoe!, 12);
      expect(s.fractionOfOptimum!).toBeLessThanOrEqual(1.005);
    }
    const quality = report.strategies.find((s) => s.strategy === 'quality')!;
    const own = report.sessions.filter((s) => s.strategy === 'quality');
    expect(quality.sessions).toBe(5);
    expect(quality.qoeLin.mean).toBeCloseTo(own.reduce((a, s) => a + s.qoe.qoeLin, 0) / 5, 9);
    expect(quality.rebuffersPerSession).toBeCloseTo(own.reduce((a, s) => a + s.qoe.rebufferCount, 0) / 5, 9);
    expect(report.overall.sessions).toBe(10);
  });

  it('draws assignments and offsets from the seed: the same seed, the same fleet', async () => {
    const options = {
      ladder,
      traces,
      strategies: ['throughput'],
      sessions: 6,
      assignment: 'random' as const,
      randomOffset: true,
      seed: 99,
      optimum: false,
    };
    const a = await runVirtualFleet(options);
    const b = await runVirtualFleet(options);
    expect(a).toEqual(b);
    expect(new Set(a.sessions.map((s) => s.offsetMs)).size).toBeGreaterThan(1);
    expect(a.sessions.every((s) => s.optimumQoe === undefined)).toBe(true);
    const other = await runVirtualFleet({ ...options, seed: 100 });
    expect(other.sessions.map((s) => s.offsetMs)).not.toEqual(a.sessions.map((s) => s.offsetMs));
  });

  it('writes CSV (one row per session), JSON and a table', async () => {
    const report = await runVirtualFleet({ ladder, traces: traces.slice(0, 2), strategies: ['mpc'] });
    const csv = fleetToCsv(report).trimEnd().split('\n');
    expect(csv[0]).toBe(
      'strategy,index,trace,offsetMs,outcome,startupDelayMs,playedMs,rebufferCount,rebufferDurationMs,rebufferRatio,avgBitrateBps,avgVmaf,p5Vmaf,switchCount,switchMagnitudeBps,qoeLin,qoeVmaf,abandonments,optimumQoe,fractionOfOptimum',
    );
    expect(csv).toHaveLength(3);
    expect(csv[1]!.split(',').slice(0, 5)).toEqual(['mpc', '0', 'wobbly', '0', 'completed']);
    expect(JSON.parse(fleetToJson(report))).toMatchObject({
      objective: 'lin',
      strategies: [{ strategy: 'mpc', sessions: 2 }],
    });
    const table = formatFleetTable(report).split('\n');
    expect(table).toHaveLength(3);
    expect(table[1]).toMatch(/^mpc\s+2\s/);
    expect(table[2]).toMatch(/^all\s+2\s/);
  });

  it('summaries of nothing are not numbers, not errors', () => {
    expect(summarize('none', []).qoeLin.mean).toBeNaN();
    expect(
      JSON.parse(
        fleetToJson({ objective: 'lin', sessions: [], strategies: [], overall: summarize('all', []) }),
      ).overall.qoeLin.mean,
    ).toBeNull();
  });

  it('refuses empty fleets and unknown strategies', async () => {
    expect(await codeOfAsync(runVirtualFleet({ ladder, traces: [], strategies: ['bba'] }))).toBe(
      'PLAYER_ERR_INVALID_OPTIONS',
    );
    expect(await codeOfAsync(runVirtualFleet({ ladder, traces, strategies: [] }))).toBe(
      'PLAYER_ERR_INVALID_OPTIONS',
    );
    expect(await codeOfAsync(runVirtualFleet({ ladder, traces, strategies: ['bba'], sessions: 0 }))).toBe(
      'PLAYER_ERR_INVALID_OPTIONS',
    );
    expect(await codeOfAsync(runVirtualFleet({ ladder, traces, strategies: ['nope'] }))).toBe(
      'PLAYER_ERR_UNKNOWN_STRATEGY',
    );
  });
});
