import { describe, expect, it } from 'vitest';
import { codeOf } from '../test/helpers/errors.js';
import { bundledPackagerPath, packagerToolsConfigFromEnv } from './config.js';
import { buildPackagerArgs, packagerErrorLines, parsePackagerVersion } from './packager.js';
import { resolveTitleId } from './packageTitle.js';

const layout = { segmentDurationS: 4, minBufferTimeS: 2 };

describe('shaka-packager arguments', () => {
  it('packages every track in one call: CMAF per track, static MPD, VOD HLS sharing the segments', () => {
    const args = buildPackagerArgs(
      [
        { id: 'v0', type: 'video', input: '.inputs/video-v0.mp4' },
        { id: 'v1', type: 'video', input: '.inputs/video-v1.mp4' },
        { id: 'a0', type: 'audio', input: '.inputs/audio-a0.mp4', language: 'en' },
      ],
      layout,
    );
    expect(args.slice(0, 3)).toEqual([
      'in=.inputs/video-v0.mp4,stream=video,init_segment=video/v0/init.mp4,segment_template=video/v0/$Number%05d$.m4s,playlist_name=video/v0/playlist.m3u8',
      'in=.inputs/video-v1.mp4,stream=video,init_segment=video/v1/init.mp4,segment_template=video/v1/$Number%05d$.m4s,playlist_name=video/v1/playlist.m3u8',
      'in=.inputs/audio-a0.mp4,stream=audio,init_segment=audio/a0/init.mp4,segment_template=audio/a0/$Number%05d$.m4s,playlist_name=audio/a0/playlist.m3u8,hls_group_id=audio,hls_name=en,language=en',
    ]);
    const flags = args.slice(3).join(' ');
    expect(flags).toContain('--segment_duration 4');
    expect(flags).toContain('--generate_static_live_mpd');
    expect(flags).toContain('--hls_playlist_type VOD');
    expect(flags).toContain('--mpd_output manifest.mpd');
    expect(flags).toContain('--hls_master_playlist_output master.m3u8');
    expect(flags).toContain('--min_buffer_time 2');
  });

  it('refuses what a stream descriptor cannot express, or a package without video', () => {
    const video = { id: 'v0', type: 'video' as const, input: 'a.mp4' };
    expect(codeOf(() => buildPackagerArgs([], layout))).toBe('MANIFEST_ERR_INVALID_OPTIONS');
    expect(codeOf(() => buildPackagerArgs([{ ...video, type: 'audio' }], layout))).toBe(
      'MANIFEST_ERR_INVALID_OPTIONS',
    );
    expect(codeOf(() => buildPackagerArgs([{ ...video, input: 'a,b.mp4' }], layout))).toBe(
      'MANIFEST_ERR_INVALID_OPTIONS',
    );
    expect(codeOf(() => buildPackagerArgs([{ ...video, input: 'in=x.mp4' }], layout))).toBe(
      'MANIFEST_ERR_INVALID_OPTIONS',
    );
    expect(codeOf(() => buildPackagerArgs([{ ...video, id: '../x' }], layout))).toBe(
      'MANIFEST_ERR_INVALID_OPTIONS',
    );
    expect(codeOf(() => buildPackagerArgs([video, video], layout))).toBe('MANIFEST_ERR_INVALID_OPTIONS');
  });

  it('reads the version and the error lines shaka-packager prints', () => {
    expect(parsePackagerVersion('packager version v3.4.2-c819dea-release\n')).toBe('v3.4.2-c819dea-release');
    expect(parsePackagerVersion('nothing')).toBeUndefined();
    const stderr = [
      'I1121 15:38:45.056576    2602 demuxer.cc:94] Demuxer::Run()',
      'E1121 15:38:45.1    2602 demuxer.cc:1] Cannot open file to read in.mp4',
      'Packaging Error: 4 (FILE_FAILURE).',
    ].join('\n');
    expect(packagerErrorLines(stderr)).toBe(
      'E1121 15:38:45.1    2602 demuxer.cc:1] Cannot open file to read in.mp4',
    );
  });

  it('finds the binary in the npm package unless SHAKA_PACKAGER_PATH says otherwise', () => {
    expect(bundledPackagerPath('linux', 'x64')).toMatch(/shaka-packager\/bin\/packager-linux-x64$/);
    expect(bundledPackagerPath('aix', 'ppc64')).toBeUndefined();
    expect(packagerToolsConfigFromEnv({ SHAKA_PACKAGER_PATH: '/opt/packager' }).packagerPath).toBe(
      '/opt/packager',
    );
    expect(packagerToolsConfigFromEnv({ SHAKA_PACKAGER_PATH: '  ' }).packagerPath).toBe(
      bundledPackagerPath(),
    );
  });
});

describe('title ids', () => {
  it('derives a clean id from the package directory name', () => {
    expect(resolveTitleId(undefined, '/x/My Title (2026)')).toBe('my-title-2026');
    expect(resolveTitleId(undefined, '/x/bbb.v2')).toBe('bbb.v2');
    expect(resolveTitleId('abc_1', '/x/whatever')).toBe('abc_1');
  });

  it('rejects ids that are not safe path segments', () => {
    for (const bad of ['', '..', '.hidden', 'A', 'a/b', 'a b', 'x'.repeat(65), 'a\0']) {
      expect(
        codeOf(() => resolveTitleId(bad, '/x/y')),
        bad,
      ).toBe('MANIFEST_ERR_INVALID_OPTIONS');
    }
    expect(codeOf(() => resolveTitleId(undefined, '/x/...'))).toBe('MANIFEST_ERR_INVALID_OPTIONS');
  });
});
