import { describe, expect, it } from 'vitest';
import { abrContext, evenLadder, history, simulate, stepTrace } from '../../test/player/helpers.js';
import type { Ladder } from '../ladder.js';
import { INITIAL_MPC_STATE, mpc } from './mpc.js';
import { ABANDON_SLACK_MS, dryBufferAbandon, quality } from './quality.js';

const base = evenLadder([500, 1000, 1500, 4000], 60, 3000);
/** Rung 2 is a poor encode: more bits than rung 1 for less VMAF. */
const vmafLadder: Ladder = {
  ...base,
  rungs: base.rungs.map((r, i) => ({ ...r, vmaf: [60, 85, 80, 95][i]! })),
};

describe('quality-aware default', () => {
  it('maximises VMAF, not bitrate: skips a rung that costs more bits for less quality', () => {
    // 1700 kbit/s cannot carry rung 3 (4000 kbit/s) for long; rungs 1 and 2 both fit.
    const ctx = abrContext(vmafLadder, {
      bufferMs: 12_000,
      lastRungIndex: 1,
      throughput: history([1700, 1700, 1700, 1700]),
    });
    expect(quality().decide(INITIAL_MPC_STATE, ctx).decision.rungIndex).toBe(1);
    // RobustMPC, counting bitrate, takes the 1500 kbit/s rung.
    expect(mpc().decide(INITIAL_MPC_STATE, ctx).decision.rungIndex).toBe(2);
  });

  it('plans with bitrate (QoE_lin) when the ladder has no quality', () => {
    const ctx = abrContext(base, {
      bufferMs: 12_000,
      lastRungIndex: 1,
      throughput: history([1700, 1700, 1700, 1700]),
    });
    expect(quality().decide(INITIAL_MPC_STATE, ctx).decision.rungIndex).toBe(2);
  });

  it('delivers more VMAF than RobustMPC over a session on the same trace', async () => {
    const trace = stepTrace([
      [30_000, 1800],
      [30_000, 1700],
      [30_000, 3000],
    ]);
    const ours = await simulate(vmafLadder, trace, quality());
    const theirs = await simulate(vmafLadder, trace, mpc());
    expect(ours.qoe.qoeVmaf!).toBeGreaterThan(theirs.qoe.qoeVmaf!);
    expect(ours.segments.some((s) => s.rungIndex === 2)).toBe(false);
  });
});

describe('deadline-driven abandonment', () => {
  // A 750,000-byte segment of rung 3; rung 0 is 500 kbit/s x 3 s = 187,500 bytes.
  const progress = { segmentIndex: 4, rungIndex: 3, totalBytes: 750_000, requestMs: 0, firstByteMs: 0 };
  const at = (bufferMs: number, loadedBytes: number, nowMs: number) =>
    dryBufferAbandon(abrContext(base, { bufferMs }), { ...progress, loadedBytes, nowMs });

  it('keeps a download that arrives before the buffer runs dry', () => {
    // 2000 kbit/s: 1 s left, 6 s of buffer.
    expect(at(6000, 500_000, 2000)).toEqual({ kind: 'continue' });
  });

  it('waits while a lower rung would still make it in time, then takes the best one that does', () => {
    // 500 kbit/s: 8 s left with 12 s of buffer: no stall projected.
    expect(at(12_000, 250_000, 4000)).toEqual({ kind: 'continue' });
    // 500 kbit/s with 5 s of buffer: rung 0 restarts in 3 s (2 s of slack): not yet.
    expect(at(5000, 125_000, 2000)).toEqual({ kind: 'continue' });
    // With 3.5 s of buffer rung 0 (3 s) is within the slack: abandon to it.
    expect(3500 - 3000).toBeLessThanOrEqual(ABANDON_SLACK_MS);
    expect(at(3500, 125_000, 2000)).toEqual({ kind: 'abandon', rungIndex: 0 });
  });

  it('observes for a quarter of the buffer first, so a short outage does not cost a rung', () => {
    // 100 kbit/s after 1 s with 20 s of buffer: too early to judge.
    expect(at(20_000, 12_500, 1000)).toEqual({ kind: 'continue' });
  });

  it('in an outage where no rung helps, keeps the download', () => {
    // 50 kbit/s (under half the lowest rung): restarting cannot prevent the stall.
    expect(at(1500, 12_500, 2000)).toEqual({ kind: 'continue' });
  });

  it('when every rung stalls, restarts at the lowest if that at least halves the stall', () => {
    // 400 kbit/s with 1 s of buffer: 14 s left (13 s stall) against 3.75 s for rung 0 (2.75 s stall).
    expect(at(1000, 50_000, 1000)).toEqual({ kind: 'abandon', rungIndex: 0 });
  });

  it('turns a bandwidth collapse into a short stall instead of a long one', async () => {
    const trace = stepTrace([
      [30_000, 8000],
      [60_000, 300],
      [1_000_000, 8000],
    ]);
    const withAbandon = await simulate(base, trace, quality());
    const without = await simulate(base, trace, quality({ abandon: false }));
    expect(withAbandon.downloads.some((d) => d.abandoned)).toBe(true);
    expect(withAbandon.qoe.rebufferDurationMs).toBeLessThan(without.qoe.rebufferDurationMs);
    expect(withAbandon.qoe.qoeLin).toBeGreaterThan(without.qoe.qoeLin);
  });
});
