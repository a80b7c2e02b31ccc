import { describe, expect, it } from 'vitest';
import {
  bitrateSummary,
  keyframesAligned,
  keyframeTimesS,
  parsePacketJson,
  type PacketInfo,
} from './packets.js';

describe('packet analysis', () => {
  it('parses ffprobe packet JSON, sorted by presentation time, skipping packets without timestamps', () => {
    const packets = parsePacketJson(
      JSON.stringify({
        packets: [
          { pts_time: '0.080000', size: '900', flags: '__' },
          { pts_time: '0.000000', size: '5000', flags: 'K_' },
          { pts_time: 'N/A', size: '10', flags: '__' },
          { pts_time: '0.040000', size: '1000', flags: '__' },
        ],
      }),
    );
    expect(packets).toEqual([
      { ptsS: 0, sizeBytes: 5000, key: true },
      { ptsS: 0.04, sizeBytes: 1000, key: false },
      { ptsS: 0.08, sizeBytes: 900, key: false },
    ]);
  });

  it('computes the average and the per-segment peak rate', () => {
    // 8 s at 1 frame/s: segment 0 (0–3 s) carries 4000 bytes, segment 1 (4–7 s) 8000 bytes.
    const packets: PacketInfo[] = [];
    for (let t = 0; t < 8; t++) packets.push({ ptsS: t, sizeBytes: t < 4 ? 1000 : 2000, key: t % 2 === 0 });
    const s = bitrateSummary(packets, 8, 4);
    expect(s.sizeBytes).toBe(12000);
    expect(s.frames).toBe(8);
    expect(s.averageKbps).toBeCloseTo((12000 * 8) / 1000 / 8, 9);
    expect(s.peakKbps).toBeCloseTo((8000 * 8) / 1000 / 4, 9);
  });

  it('does not let a short last segment inflate the peak past a one-second window', () => {
    const packets: PacketInfo[] = [
      { ptsS: 0, sizeBytes: 1000, key: true },
      { ptsS: 4, sizeBytes: 1000, key: true },
    ];
    // The last segment lasts 0.04 s; it counts as 1 s.
    expect(bitrateSummary(packets, 4.04, 4).peakKbps).toBeCloseTo(8, 9);
  });

  it('lists keyframe times and checks alignment across tracks', () => {
    const a: PacketInfo[] = [
      { ptsS: 0, sizeBytes: 1, key: true },
      { ptsS: 1.0004, sizeBytes: 1, key: false },
      { ptsS: 2.0001, sizeBytes: 1, key: true },
    ];
    expect(keyframeTimesS(a)).toEqual([0, 2]);
    expect(
      keyframesAligned([
        [0, 2, 4],
        [0, 2, 4.0005],
      ]),
    ).toBe(true);
    expect(
      keyframesAligned([
        [0, 2, 4],
        [0, 2.5, 4],
      ]),
    ).toBe(false);
    expect(
      keyframesAligned([
        [0, 2, 4],
        [0, 2],
      ]),
    ).toBe(false);
    expect(keyframesAligned([])).toBe(true);
  });
});
