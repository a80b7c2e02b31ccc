/**
 * The simulator on the shared Sabre data: the trace sets (../shared/traces) and the reference ladder
 * (../shared/abr-reference/bbb.json), in virtual time.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ABR_NAMES,
  createStrategy,
  loadLadder,
  loadSabreLadder,
  loadTrace,
  loadTraces,
  resizeLadder,
  runVirtualFleet,
  type Ladder,
  type Trace,
} from '../../player-sim/index.js';
import { codeOfAsync } from '../helpers/errors.js';
import { SHARED_DIR, simulate } from './helpers.js';

let bbb: Ladder;
let fcc: Trace[];
let lte: Trace[];

beforeAll(async () => {
  bbb = await loadSabreLadder(join(SHARED_DIR, 'abr-reference/bbb.json'));
  fcc = await loadTraces(join(SHARED_DIR, 'traces/fcc-sd'));
  lte = await loadTraces(join(SHARED_DIR, 'traces/belgium-4g'));
});

describe('shared data loads', () => {
  it('bbb.json: 10 rungs, 199 segments of 3 s, per-segment sizes', () => {
    expect(bbb.rungs.map((r) => r.bitrateBps / 1000)).toEqual([
      230, 331, 477, 688, 991, 1427, 2056, 2962, 5027, 6000,
    ]);
    expect(bbb.segmentDurationsMs).toHaveLength(199);
    expect(bbb.segmentSizesBytes?.[0]?.[0]).toBe(886_360 / 8);
  });

  it('every trace of both sets parses (the licence file is skipped)', () => {
    expect(fcc).toHaveLength(100);
    expect(lte).toHaveLength(40);
    expect(fcc.every((t) => t.durationMs === 180_000)).toBe(true);
    expect(lte.map((t) => t.name)).toContain('report_bus_0001.json');
  });
});

describe('trace and ladder files: bad input gets a coded error', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'player-load-'));
    await mkdir(join(dir, 'empty'));
    await mkdir(join(dir, 'mixed'));
    await writeFile(join(dir, 'mixed', 'a.json'), '[{"duration_ms": 1000, "bandwidth_kbps": 500}]');
    await writeFile(join(dir, 'mixed', 'b.txt'), '0 1\n1 2\n');
    await writeFile(join(dir, 'mixed', 'LICENSE'), 'not a trace');
    await writeFile(join(dir, 'mixed', '.hidden'), 'not a trace');
    await writeFile(join(dir, 'bad.json'), '[{"duration_ms": 1000, "bandwidth_kbps": "lots"}]');
    await writeFile(join(dir, 'ladder.json'), '{"segment_duration_ms": 3000}');
    await writeFile(join(dir, 'title.json'), '{"tracks": []}');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads JSON and text traces from one directory, in name order', async () => {
    const traces = await loadTraces(join(dir, 'mixed'));
    expect(traces.map((t) => [t.name, t.durationMs])).toEqual([
      ['a.json', 1000],
      ['b.txt', 1000],
    ]);
  });

  it.each([
    ['a missing file', 'nope.json', 'PLAYER_ERR_TRACE_NOT_FOUND'],
    ['a missing directory', 'nowhere', 'PLAYER_ERR_TRACE_NOT_FOUND'],
    ['a directory without traces', 'empty', 'PLAYER_ERR_TRACE_NOT_FOUND'],
    ['a bad trace', 'bad.json', 'PLAYER_ERR_TRACE_NOT_NUMERIC'],
  ])('traces: %s', async (_what, name, code) => {
    expect(await codeOfAsync(loadTraces(join(dir, name)))).toBe(code);
  });

  it('ladders: missing, malformed, not a title', async () => {
    expect(await codeOfAsync(loadSabreLadder(join(dir, 'none.json')))).toBe('PLAYER_ERR_LADDER_NOT_FOUND');
    expect(await codeOfAsync(loadLadder(join(dir, 'ladder.json')))).toBe('PLAYER_ERR_LADDER_PARSE');
    expect(await codeOfAsync(loadLadder(join(dir, 'title.json')))).toBe('PLAYER_ERR_LADDER_PARSE');
    expect(await codeOfAsync(loadTrace(join(dir, 'mixed')))).toBe('PLAYER_ERR_TRACE_NOT_FOUND');
    expect((await loadLadder(join(SHARED_DIR, 'abr-reference/bbb.json'))).rungs).toHaveLength(10);
  });
});

describe('strategies on the Sabre traces with bbb.json (virtual time)', () => {
  it('all complete; the default leads on QoE_lin; none beats the offline optimum', async () => {
    // A sample of both sets (every 10th FCC trace, every 4th 4G trace), 2-minute sessions.
    const traces = [...fcc.filter((_, i) => i % 10 === 0), ...lte.filter((_, i) => i % 4 === 0)];
    const ladder = resizeLadder(bbb, 40);
    const report = await runVirtualFleet({ ladder, traces, strategies: [...ABR_NAMES] });
    expect(report.sessions.every((s) => s.outcome === 'completed')).toBe(true);
    for (const s of report.sessions) expect(s.fractionOfOptimum!).toBeLessThanOrEqual(1.005);
    const mean = (name: string) => report.strategies.find((s) => s.strategy === name)!.qoeLin.mean;
    for (const name of ABR_NAMES.filter((n) => n !== 'quality'))
      expect(mean('quality')).toBeGreaterThan(mean(name));
    expect(report.strategies.find((s) => s.strategy === 'quality')!.fractionOfOptimum!.mean).toBeGreaterThan(
      0.8,
    );
  });

  it('a 10-minute session simulates in milliseconds (measured, not asserted)', async () => {
    const trace = fcc[0]!;
    const times: number[] = [];
    let played = 0;
    for (const name of ABR_NAMES) {
      const started = performance.now();
      const result = await simulate(bbb, trace, createStrategy(name));
      times.push(performance.now() - started);
      played = result.playedMs;
    }
    expect(played).toBe(199 * 3000);
    console.info(
      `10-minute session (${played / 1000} s of media): ${ABR_NAMES.map((n, i) => `${n} ${times[i]!.toFixed(1)} ms`).join(', ')}`,
    );
  });
});
