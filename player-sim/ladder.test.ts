import { describe, expect, it } from 'vitest';
import { codeOf } from '../test/helpers/errors.js';
import {
  contentDurationMs,
  hasVmaf,
  parseSabreLadder,
  resizeLadder,
  segmentSizeBytes,
  segmentVmaf,
  validateLadder,
  type Ladder,
} from './ladder.js';

const SABRE = {
  segment_duration_ms: 3000,
  bitrates_kbps: [200, 800],
  segment_sizes_bits: [
    [600_000, 2_400_000],
    [500_000, 2_000_000],
    [700_000, 2_800_000],
  ],
};

describe('Sabre ladder files', () => {
  it('reads durations, bitrates and per-segment sizes (bits to bytes)', () => {
    const ladder = parseSabreLadder(JSON.stringify(SABRE));
    expect(ladder.segmentDurationsMs).toEqual([3000, 3000, 3000]);
    expect(ladder.rungs.map((r) => r.bitrateBps)).toEqual([200_000, 800_000]);
    expect(segmentSizeBytes(ladder, 1, 1)).toBe(250_000);
    expect(contentDurationMs(ladder)).toBe(9000);
    expect(hasVmaf(ladder)).toBe(false);
    expect(segmentVmaf(ladder, 0, 0)).toBeUndefined();
  });

  it.each([
    ['not JSON', '{', 'PLAYER_ERR_LADDER_PARSE'],
    ['an array', '[]', 'PLAYER_ERR_LADDER_PARSE'],
    [
      'a string duration',
      JSON.stringify({ ...SABRE, segment_duration_ms: '3000' }),
      'PLAYER_ERR_LADDER_PARSE',
    ],
    ['bitrates not numbers', JSON.stringify({ ...SABRE, bitrates_kbps: ['a'] }), 'PLAYER_ERR_LADDER_PARSE'],
    [
      'a size row not an array',
      JSON.stringify({ ...SABRE, segment_sizes_bits: [1, 2] }),
      'PLAYER_ERR_LADDER_PARSE',
    ],
    ['no segments', JSON.stringify({ ...SABRE, segment_sizes_bits: [] }), 'PLAYER_ERR_LADDER_INVALID'],
    ['no rungs', JSON.stringify({ ...SABRE, bitrates_kbps: [] }), 'PLAYER_ERR_LADDER_INVALID'],
    ['a zero duration', JSON.stringify({ ...SABRE, segment_duration_ms: 0 }), 'PLAYER_ERR_LADDER_INVALID'],
    [
      'decreasing bitrates',
      JSON.stringify({ ...SABRE, bitrates_kbps: [800, 200] }),
      'PLAYER_ERR_LADDER_INVALID',
    ],
    [
      'a short size row',
      JSON.stringify({ ...SABRE, segment_sizes_bits: [[1]] }),
      'PLAYER_ERR_LADDER_INVALID',
    ],
    [
      'a negative size',
      JSON.stringify({ ...SABRE, segment_sizes_bits: [[-1, 5]] }),
      'PLAYER_ERR_LADDER_INVALID',
    ],
  ])('refuses %s', (_what, text, code) => {
    expect(codeOf(() => parseSabreLadder(text))).toBe(code);
  });
});

describe('ladder helpers', () => {
  const ladder: Ladder = {
    source: 'dash',
    segmentDurationsMs: [4000, 4000, 2000],
    rungs: [
      { id: 'a', bitrateBps: 400_000, vmaf: 70, segments: [{ url: 'a1' }, { url: 'a2' }, { url: 'a3' }] },
      { id: 'b', bitrateBps: 1_000_000, vmaf: 90, segments: [{ url: 'b1' }, { url: 'b2' }, { url: 'b3' }] },
    ],
  };

  it('estimates unknown sizes from bitrate x duration', () => {
    expect(segmentSizeBytes(ladder, 2, 1)).toBe(250_000);
    expect(segmentVmaf(ladder, 2, 1)).toBe(90);
    expect(hasVmaf(ladder)).toBe(true);
  });

  it('prefers per-segment VMAF', () => {
    expect(
      segmentVmaf(
        {
          ...ladder,
          segmentVmaf: [
            [60, 80],
            [61, 81],
            [62, 82],
          ],
        },
        1,
        1,
      ),
    ).toBe(81);
  });

  it('repeats a ladder to a longer one (dropping URLs) and cuts it to a shorter one (keeping them)', () => {
    const longer = resizeLadder(
      {
        ...ladder,
        segmentSizesBytes: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      },
      7,
    );
    expect(longer.segmentDurationsMs).toEqual([4000, 4000, 2000, 4000, 4000, 2000, 4000]);
    expect(longer.segmentSizesBytes?.[6]).toEqual([1, 2]);
    expect(longer.rungs[0]!.segments).toBeUndefined();
    const shorter = resizeLadder(ladder, 2);
    expect(shorter.rungs[1]!.segments).toEqual([{ url: 'b1' }, { url: 'b2' }]);
    expect(codeOf(() => resizeLadder(ladder, 0))).toBe('PLAYER_ERR_INVALID_OPTIONS');
  });

  it('validates VMAF range and segment lists', () => {
    expect(codeOf(() => validateLadder({ ...ladder, rungs: [{ id: 'x', bitrateBps: 1, vmaf: 101 }] }))).toBe(
      'PLAYER_ERR_LADDER_INVALID',
    );
    expect(
      codeOf(() =>
        validateLadder({ ...ladder, rungs: [{ id: 'x', bitrateBps: 1, segments: [{ url: 'u' }] }] }),
      ),
    ).toBe('PLAYER_ERR_LADDER_INVALID');
    expect(codeOf(() => validateLadder({ ...ladder, segmentVmaf: [[1, 2]] }))).toBe(
      'PLAYER_ERR_LADDER_INVALID',
    );
    expect(validateLadder(ladder)).toBe(ladder);
  });
});
