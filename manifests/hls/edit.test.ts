import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  findHlsVariant,
  hlsRenditionGroup,
  hlsTrackDurationS,
  minimumHlsVersion,
  parseHlsMaster,
  parseHlsMedia,
  parseHlsPlaylist,
  updateHlsVariant,
  validateHlsPlaylist,
  writeHlsPlaylist,
} from './index.js';

const fixture = (name: string): Buffer => readFileSync(join(import.meta.dirname, '../testdata/shaka', name));

describe('helpers', () => {
  it('hlsTrackDurationS sums the EXTINF durations', () => {
    expect(hlsTrackDurationS(parseHlsMedia(fixture('video-playlist.m3u8')))).toBe(10);
    expect(hlsTrackDurationS(parseHlsMedia(fixture('audio-playlist.m3u8')))).toBeCloseTo(10.008, 9);
  });

  it('findHlsVariant and updateHlsVariant edit a variant by URI without touching the input', () => {
    const master = parseHlsMaster(fixture('master.m3u8'));
    expect(findHlsVariant(master, 'video/v1/playlist.m3u8')?.bandwidthBps).toBe(461594);
    expect(findHlsVariant(master, 'nope.m3u8')).toBeUndefined();
    const updated = updateHlsVariant(master, 'video/v1/playlist.m3u8', {
      bandwidthBps: 500_000,
      averageBandwidthBps: 470_000,
      score: 91.5,
      frameRate: 30,
    });
    expect(master.variants[1]!.bandwidthBps).toBe(461594);
    expect(updated.variants[1]).toMatchObject({
      bandwidthBps: 500_000,
      averageBandwidthBps: 470_000,
      score: 91.5,
    });
    expect(updated.variants[0]).toBe(master.variants[0]);
    const text = writeHlsPlaylist(updated);
    expect(validateHlsPlaylist(text)).toEqual([]);
    expect(parseHlsPlaylist(text)).toStrictEqual(updated);
    expect(() => updateHlsVariant(master, 'nope.m3u8', { score: 1 })).toThrow(
      expect.objectContaining({ code: 'MANIFEST_ERR_INVALID' }),
    );
  });

  it('hlsRenditionGroup lists a group', () => {
    const master = parseHlsMaster(fixture('master.m3u8'));
    expect(hlsRenditionGroup(master, 'AUDIO', 'audio').map((r) => r.name)).toEqual(['English']);
    expect(hlsRenditionGroup(master, 'SUBTITLES', 'audio')).toEqual([]);
  });

  it('minimumHlsVersion names the lowest version the features allow', () => {
    expect(minimumHlsVersion(parseHlsMaster(fixture('master.m3u8')))).toBe(1);
    expect(minimumHlsVersion(parseHlsMedia(fixture('audio-playlist.m3u8')))).toBe(6); // EXT-X-MAP
    const media = parseHlsMedia('#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:3.5,\na.ts\n');
    expect(minimumHlsVersion(media)).toBe(3);
    expect(
      minimumHlsVersion({ ...media, segments: [{ uri: 'a.ts', durationS: 3, byteRange: { length: 1 } }] }),
    ).toBe(4);
  });
});
