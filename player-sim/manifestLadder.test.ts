import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DASH_QUALITY_SCHEME,
  HLS_QUALITY_METRIC_DATA_ID,
  formatQualityValue,
  parseHlsMaster,
  parseHlsMedia,
  parseMpd,
  updateHlsVariant,
  type Mpd,
  type TitleFile,
} from '../manifests/index.js';
import { codeOf } from '../test/helpers/errors.js';
import { segmentSizeBytes } from './ladder.js';
import { ladderFromDash, ladderFromHls, ladderFromTitle } from './manifestLadder.js';

const testdata = join(import.meta.dirname, '../manifests/testdata/shaka');
const read = (name: string) => readFileSync(join(testdata, name), 'utf8');

/** The packaged test title's MPD with our quality descriptor on each video Representation. */
function annotatedMpd(): Mpd {
  const mpd = parseMpd(read('manifest.mpd'));
  const vmafs: Record<string, number> = { '0': 81.5, '1': 92.25 };
  const set = mpd.periods[0]!.adaptationSets[0]!;
  set.representations = set.representations.map((rep) => ({
    ...rep,
    descriptors: [
      ...rep.descriptors,
      {
        element: 'SupplementalProperty' as const,
        schemeIdUri: DASH_QUALITY_SCHEME,
        value: formatQualityValue({ metric: 'vmaf', mean: vmafs[rep.id!]!, harmonicMean: 80, p5: 70 }),
      },
    ],
  }));
  return mpd;
}

describe('ladder from a DASH MPD', () => {
  it('rungs by bandwidth with audio added, VMAF from our descriptor, resolved segment URLs', () => {
    const ladder = ladderFromDash(annotatedMpd(), {
      manifestUrl: 'https://edge.example/content/t/v1/manifest.mpd',
    });
    expect(ladder.source).toBe('dash');
    expect(ladder.segmentDurationsMs).toEqual([4000, 4000, 2000]);
    expect(
      ladder.rungs.map((r) => [r.id, r.bitrateBps, r.videoBitrateBps, r.width, r.height, r.vmaf]),
    ).toEqual([
      ['0', 193_496 + 96_978, 193_496, 480, 270, 81.5],
      ['1', 364_616 + 96_978, 364_616, 640, 360, 92.25],
    ]);
    expect(ladder.rungs[0]!.frameRate).toBe(25);
    expect(ladder.rungs[0]!.codecs).toBe('avc1.640015');
    expect(ladder.rungs[1]!.initSegment).toEqual({
      url: 'https://edge.example/content/t/v1/video/v1/init.mp4',
    });
    expect(ladder.rungs[1]!.segments![2]).toEqual({
      url: 'https://edge.example/content/t/v1/video/v1/00003.m4s',
    });
    expect(ladder.audio).toMatchObject({ id: '2', bitrateBps: 96_978, codecs: 'mp4a.40.2' });
    expect(ladder.audio!.segments).toHaveLength(3);
    // No byte ranges: sizes are estimated from bitrate x duration.
    expect(ladder.segmentSizesBytes).toBeUndefined();
    expect(segmentSizeBytes(ladder, 2, 0)).toBeCloseTo(((193_496 + 96_978) * 2) / 8, 6);
  });

  it('keeps relative URLs without a manifest URL and ignores other metrics', () => {
    const mpd = parseMpd(read('manifest.mpd'));
    const ladder = ladderFromDash(mpd);
    expect(ladder.rungs[0]!.segments![0]).toEqual({ url: 'video/v0/00001.m4s' });
    expect(ladder.rungs.every((r) => r.vmaf === undefined)).toBe(true);
  });

  it('refuses an MPD without video or with misaligned tracks', () => {
    const mpd = parseMpd(read('manifest.mpd'));
    const audioOnly: Mpd = {
      ...mpd,
      periods: [{ ...mpd.periods[0]!, adaptationSets: [mpd.periods[0]!.adaptationSets[1]!] }],
    };
    expect(codeOf(() => ladderFromDash(audioOnly))).toBe('PLAYER_ERR_LADDER_INVALID');
    const video = mpd.periods[0]!.adaptationSets[0]!;
    const shorter = {
      ...video.representations[1]!,
      segmentTemplate: { ...video.representations[1]!.segmentTemplate!, timeline: [{ t: 0, d: 51200 }] },
    };
    const misaligned: Mpd = {
      ...mpd,
      periods: [
        {
          ...mpd.periods[0]!,
          adaptationSets: [{ ...video, representations: [video.representations[0]!, shorter] }],
        },
      ],
    };
    expect(codeOf(() => ladderFromDash(misaligned))).toBe('PLAYER_ERR_LADDER_INVALID');
  });
});

describe('ladder from HLS playlists', () => {
  const media = new Map([
    ['video/v0/playlist.m3u8', parseHlsMedia(read('video-playlist.m3u8'))],
    ['video/v1/playlist.m3u8', parseHlsMedia(read('video-playlist.m3u8'))],
    ['audio/a0/playlist.m3u8', parseHlsMedia(read('audio-playlist.m3u8'))],
  ]);

  it('rungs by AVERAGE-BANDWIDTH, SCORE as VMAF, audio rendition, URLs resolved per playlist', () => {
    let master = parseHlsMaster(read('master.m3u8'));
    master = updateHlsVariant(master, 'video/v1/playlist.m3u8', { score: 93.5 });
    master = updateHlsVariant(master, 'video/v0/playlist.m3u8', { score: 80 });
    master = { ...master, sessionData: [{ dataId: HLS_QUALITY_METRIC_DATA_ID, value: 'vmaf' }] };
    const ladder = ladderFromHls(master, media, { masterUrl: 'https://edge.example/c/t/v/master.m3u8' });
    expect(ladder.rungs.map((r) => [r.id, r.bitrateBps, r.width, r.frameRate, r.codecs, r.vmaf])).toEqual([
      ['video/v0/playlist.m3u8', 275_849, 480, 25, 'avc1.640015', 80],
      ['video/v1/playlist.m3u8', 450_016, 640, 25, 'avc1.64001e', 93.5],
    ]);
    expect(ladder.segmentDurationsMs).toEqual([4000, 4000, 2000]);
    expect(ladder.rungs[1]!.segments![0]).toEqual({ url: 'https://edge.example/c/t/v/video/v1/00001.m4s' });
    expect(ladder.rungs[1]!.initSegment).toEqual({ url: 'https://edge.example/c/t/v/video/v1/init.mp4' });
    expect(ladder.audio).toMatchObject({ id: 'English', codecs: 'mp4a.40.2' });
    expect(ladder.audio!.segments![0]!.url).toBe('https://edge.example/c/t/v/audio/a0/00001.m4s');
  });

  it('SCORE is not VMAF unless the session data says so (PSNR, or a playlist that does not say)', () => {
    let master = parseHlsMaster(read('master.m3u8'));
    master = updateHlsVariant(master, 'video/v0/playlist.m3u8', { score: 38.2 });
    master = updateHlsVariant(master, 'video/v1/playlist.m3u8', { score: 41.5 });
    expect(ladderFromHls(master, media).rungs.map((r) => r.vmaf)).toEqual([undefined, undefined]);
    const psnr = { ...master, sessionData: [{ dataId: HLS_QUALITY_METRIC_DATA_ID, value: 'psnr' }] };
    expect(ladderFromHls(psnr, media).rungs.map((r) => r.vmaf)).toEqual([undefined, undefined]);
    const vmaf = { ...master, sessionData: [{ dataId: HLS_QUALITY_METRIC_DATA_ID, value: 'VMAF' }] };
    expect(ladderFromHls(vmaf, media).rungs.map((r) => r.vmaf)).toEqual([38.2, 41.5]);
  });

  it('refuses a master whose media playlist was not given', () => {
    const master = parseHlsMaster(read('master.m3u8'));
    expect(codeOf(() => ladderFromHls(master, new Map()))).toBe('PLAYER_ERR_LADDER_INVALID');
  });
});

describe('ladder from title.json', () => {
  const segment = (path: string, number: number, sizeBytes: number) => ({
    path,
    number,
    sizeBytes,
    sha256: '0'.repeat(64),
    startS: (number - 1) * 4,
    durationS: 4,
  });
  const track = (id: string, type: 'video' | 'audio', avg: number, sizes: number[], quality?: number) => ({
    id,
    type,
    codecs: type === 'video' ? 'avc1.64001f' : 'mp4a.40.2',
    peakBandwidthBps: avg * 2,
    averageBandwidthBps: avg,
    dashBandwidthBps: avg,
    ...(type === 'video' ? { width: 1280, height: 720, frameRate: 25 } : {}),
    ...(quality === undefined
      ? {}
      : { quality: { metric: 'vmaf' as const, mean: quality, harmonicMean: quality, p5: quality - 5 } }),
    playlist: `${id}/playlist.m3u8`,
    init: { path: `${id}/init.mp4`, sizeBytes: 800, sha256: '0'.repeat(64) },
    segments: sizes.map((size, i) => segment(`${id}/${i + 1}.m4s`, i + 1, size)),
  });
  const title: TitleFile = {
    schemaVersion: 1,
    id: 'demo',
    version: 'v1',
    createdAt: '2026-01-01T00:00:00Z',
    durationS: 8,
    segmentDurationS: 4,
    manifests: { dash: 'manifest.mpd', hls: 'master.m3u8' },
    ladder: 'ladder.json',
    tracks: [
      track('v1', 'video', 2_000_000, [1_100_000, 900_000], 94),
      track('v0', 'video', 800_000, [420_000, 380_000], 85),
      track('a0', 'audio', 128_000, [64_000, 64_000]),
    ],
    totalSizeBytes: 3_000_000,
    packager: { name: 'shaka-packager', version: 'v3.4.2' },
  };

  it('exact sizes (video + audio), average rates, VMAF, URLs against the base', () => {
    const ladder = ladderFromTitle(title, { baseUrl: 'https://edge.example/content/demo/v1/' });
    expect(ladder.rungs.map((r) => [r.id, r.bitrateBps, r.vmaf])).toEqual([
      ['v0', 928_000, 85],
      ['v1', 2_128_000, 94],
    ]);
    expect(ladder.segmentSizesBytes).toEqual([
      [484_000, 1_164_000],
      [444_000, 964_000],
    ]);
    expect(ladder.rungs[0]!.segments![1]).toEqual({ url: 'https://edge.example/content/demo/v1/v0/2.m4s' });
    expect(ladder.audio!.segments![0]).toEqual({ url: 'https://edge.example/content/demo/v1/a0/1.m4s' });
  });
});
