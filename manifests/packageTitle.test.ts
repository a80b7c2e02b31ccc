import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser as M3u8Parser } from 'm3u8-parser';
import { parse as parseMpdIndependently } from 'mpd-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOfAsync as codeOf } from '../test/helpers/errors.js';
import { encoderToolsConfigFromEnv } from '../encoder/config.js';
import { encodeTitle } from '../encoder/encodeTitle.js';
import { runFfmpeg } from '../encoder/ffmpeg.js';
import type { LadderFile } from '../encoder/ladderFile.js';
import { makeSyntheticSource } from '../encoder/synthetic.js';
import { parseMpd } from './dash/index.js';
import { DASH_QUALITY_SCHEME, HLS_QUALITY_METRIC_DATA_ID, parseQualityValue } from './enrich.js';
import { parseHlsMaster } from './hls/index.js';
import { packageTitle, type PackageProgress } from './packageTitle.js';
import { titleFileSchema, type TitleFile } from './titleFile.js';

const ffmpeg = encoderToolsConfigFromEnv();
const DURATION_S = 10;
let root: string;
let renditions: string;
let ladder: LadderFile;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Leftover staging directories next to a would-be output. */
async function partials(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.includes('.partial-'));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'package-title-test-'));
  const source = await makeSyntheticSource(
    ffmpeg.ffmpegPath,
    {
      pattern: 'moderate',
      resolution: { width: 640, height: 360 },
      durationS: DURATION_S,
      fps: 25,
      audio: true,
    },
    join(root, 'source.mp4'),
  );
  // PSNR keeps the encode quick; the packager does not care which metric scored the rungs.
  const encoded = await encodeTitle(source, {
    outDir: join(root, 'renditions'),
    metric: 'psnr',
    resolutions: [
      { width: 640, height: 360 },
      { width: 416, height: 234 },
      { width: 256, height: 144 },
    ],
    preset: 'veryfast',
    sampleDurationS: 2,
  });
  renditions = encoded.outDir;
  ladder = encoded.ladder;
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('packageTitle on a real encode', () => {
  let outDir: string;
  let title: TitleFile;
  const progress: PackageProgress[] = [];

  beforeAll(async () => {
    outDir = join(root, 'packages', 'demo-title');
    const result = await packageTitle(
      renditions,
      { outDir },
      { onProgress: (p) => progress.push(p), now: () => new Date('2026-11-21T10:00:00Z') },
    );
    title = result.title;
    expect(result.outDir).toBe(outDir);
  });

  it('writes the package layout: manifests, one directory per track, ladder.json and title.json', async () => {
    expect(ladder.rungs.length).toBeGreaterThanOrEqual(2);
    const top = (await readdir(outDir)).sort();
    expect(top).toEqual(['audio', 'ladder.json', 'manifest.mpd', 'master.m3u8', 'title.json', 'video']);
    for (const rung of ladder.rungs) {
      const files = (await readdir(join(outDir, 'video', rung.id))).sort();
      expect(files).toEqual(['00001.m4s', '00002.m4s', '00003.m4s', 'init.mp4', 'playlist.m3u8']);
    }
    expect((await readdir(join(outDir, 'audio', 'a0'))).length).toBeGreaterThanOrEqual(4);
    expect(await partials(join(root, 'packages'))).toEqual([]);
  });

  it('title.json matches its schema and the files on disk, byte for byte', async () => {
    const onDisk = titleFileSchema.parse(JSON.parse(await readFile(join(outDir, 'title.json'), 'utf8')));
    expect(onDisk).toEqual(title);
    expect(title.id).toBe('demo-title');
    expect(title.version).toMatch(/^20261121T100000Z-[0-9a-f]{12}$/);
    expect(title.durationS).toBeCloseTo(DURATION_S, 1);
    expect(title.tracks.filter((t) => t.type === 'video').map((t) => t.id)).toEqual(
      ladder.rungs.map((r) => r.id),
    );
    for (const track of title.tracks) {
      for (const file of [track.init, ...track.segments]) {
        const bytes = await readFile(join(outDir, file.path));
        expect(bytes.length).toBe(file.sizeBytes);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
      }
      expect(track.segments.map((s) => s.number)).toEqual([1, 2, 3]);
      expect(track.segments.reduce((sum, s) => sum + s.durationS, 0)).toBeCloseTo(DURATION_S, 1);
      expect(track.averageBandwidthBps).toBeLessThanOrEqual(track.peakBandwidthBps);
    }
    const video = title.tracks.filter((t) => t.type === 'video');
    for (const track of video) {
      const rung = ladder.rungs.find((r) => r.id === track.id)!;
      expect([track.width, track.height]).toEqual([rung.resolution.width, rung.resolution.height]);
      expect(track.quality?.mean).toBe(rung.quality?.mean);
      // The packaged rate is the encoder's measured rate plus a little fMP4 overhead.
      expect(track.averageBandwidthBps / 1000).toBeGreaterThan(rung.averageBitrateKbps * 0.95);
      expect(track.averageBandwidthBps / 1000).toBeLessThan(rung.averageBitrateKbps * 1.15);
    }
  });

  it('an independent DASH parser (mpd-parser) sees the same tracks, durations and segments', async () => {
    const text = await readFile(join(outDir, 'manifest.mpd'), 'utf8');
    const parsed = parseMpdIndependently(text, { manifestUri: 'https://edge.example/t/manifest.mpd' });
    const video = title.tracks.filter((t) => t.type === 'video');
    expect(parsed.playlists).toHaveLength(video.length);
    expect(parsed.duration).toBeCloseTo(title.durationS, 1);
    for (const playlist of parsed.playlists) {
      const track = video.find(
        (t) => t.width === playlist.attributes.RESOLUTION?.width && t.id === trackIdOf(playlist),
      );
      expect(track, JSON.stringify(playlist.attributes)).toBeDefined();
      expect(playlist.attributes.BANDWIDTH).toBe(track!.dashBandwidthBps);
      expect(playlist.attributes.CODECS).toBe(track!.codecs);
      expect(playlist.segments.map((s) => s.resolvedUri)).toEqual(
        track!.segments.map((s) => `https://edge.example/t/${s.path}`),
      );
      expect(playlist.segments.map((s) => s.duration)).toEqual(track!.segments.map((s) => s.durationS));
    }
    const audioGroups = Object.values(parsed.mediaGroups.AUDIO).flatMap((g) => Object.values(g));
    expect(audioGroups.flatMap((g) => g.playlists)).toHaveLength(1);
  });

  it('an independent HLS parser (m3u8-parser) sees the same variants and segments', async () => {
    const parse = (text: string) => {
      const parser = new M3u8Parser();
      parser.push(text);
      parser.end();
      return parser.manifest;
    };
    const master = parse(await readFile(join(outDir, 'master.m3u8'), 'utf8'));
    const video = title.tracks.filter((t) => t.type === 'video');
    expect(master.playlists?.map((p) => p.uri)).toEqual(video.map((t) => t.playlist));
    for (const track of title.tracks) {
      const media = parse(await readFile(join(outDir, track.playlist), 'utf8'));
      expect(media.endList).toBe(true);
      expect(media.playlistType).toBe('VOD');
      expect(media.segments).toHaveLength(track.segments.length);
      media.segments.forEach((s, i) => {
        expect(s.duration).toBeCloseTo(track.segments[i]!.durationS, 2);
        expect(s.map?.uri).toBe('init.mp4');
      });
    }
  });

  it('the manifests carry measured rates and quality: HLS BANDWIDTH/AVERAGE-BANDWIDTH/SCORE, DASH bandwidth + quality', async () => {
    const master = parseHlsMaster(await readFile(join(outDir, 'master.m3u8')));
    const audio = title.tracks.find((t) => t.type === 'audio')!;
    for (const variant of master.variants) {
      const track = title.tracks.find((t) => t.playlist === variant.uri)!;
      expect(variant.bandwidthBps).toBe(track.peakBandwidthBps + audio.peakBandwidthBps);
      expect(variant.averageBandwidthBps).toBe(track.averageBandwidthBps + audio.averageBandwidthBps);
      expect(variant.score).toBeCloseTo(track.quality!.mean, 2);
      expect(variant.frameRate).toBe(25);
      expect(variant.audioGroupId).toBe('audio');
      expect(variant.codecs).toMatch(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
    }
    // The metric of SCORE is declared in the session data (PSNR here), so no player reads it as VMAF.
    expect(master.sessionData.filter((d) => d.dataId === HLS_QUALITY_METRIC_DATA_ID)).toEqual([
      { dataId: HLS_QUALITY_METRIC_DATA_ID, value: 'psnr' },
    ]);
    // Higher rungs score higher: a player preferring SCORE prefers quality.
    const scores = master.variants.map((v) => v.score!);
    const rates = master.variants.map((v) => v.bandwidthBps!);
    expect([...scores].sort((a, b) => a - b)).toEqual(
      [...scores].sort((a, b) => rates[scores.indexOf(a)]! - rates[scores.indexOf(b)]!),
    );

    const mpd = parseMpd(await readFile(join(outDir, 'manifest.mpd')));
    const videoSet = mpd.periods[0]!.adaptationSets.find((s) => s.contentType === 'video')!;
    expect(videoSet.segmentAlignment).toBe(true);
    const rankings: number[] = [];
    for (const rep of videoSet.representations) {
      const property = rep.descriptors.find((d) => d.schemeIdUri === DASH_QUALITY_SCHEME);
      const quality = parseQualityValue(property?.value ?? '');
      expect(quality?.metric).toBe('psnr');
      const track = title.tracks.find(
        (t) => t.dashBandwidthBps === rep.bandwidthBps && t.width === rep.width,
      );
      expect(track).toBeDefined();
      expect(quality?.mean).toBeCloseTo(track!.quality!.mean, 2);
      rankings.push(rep.qualityRanking!);
    }
    expect([...rankings].sort()).toEqual(videoSet.representations.map((_, i) => i + 1));
  });

  it('init segment + media segment of every track decode with ffprobe', async () => {
    for (const track of title.tracks) {
      const joined = join(root, `joined-${track.type}-${track.id}.mp4`);
      const parts = await Promise.all(
        [track.init, track.segments[1]!].map((f) => readFile(join(outDir, f.path))),
      );
      await writeFile(joined, Buffer.concat(parts));
      const result = await runFfmpeg(
        ffmpeg.ffprobePath,
        [
          '-v',
          'error',
          '-count_frames',
          '-show_entries',
          'stream=codec_type,width,height,nb_read_frames',
          '-of',
          'json',
          joined,
        ],
        { captureStdout: true, timeoutMs: 60_000 },
      );
      const stream = (JSON.parse(result.stdout) as { streams: Array<Record<string, unknown>> }).streams[0]!;
      expect(stream.codec_type).toBe(track.type);
      if (track.type === 'video') {
        expect([stream.width, stream.height]).toEqual([track.width, track.height]);
        expect(Number(stream.nb_read_frames)).toBe(Math.round(track.segments[1]!.durationS * 25));
      } else {
        expect(Number(stream.nb_read_frames)).toBeGreaterThan(100);
      }
    }
  });

  it('reports progress through every phase up to done', () => {
    const phases = [...new Set(progress.map((p) => p.phase))];
    expect(phases).toEqual(['reading', 'packaging', 'checking', 'writing', 'done']);
    const percents = progress.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(100);
  });

  it('refuses to overwrite a package unless asked, then replaces it whole', async () => {
    expect(await codeOf(packageTitle(renditions, { outDir }))).toBe('MANIFEST_ERR_OUTPUT_EXISTS');
    const again = await packageTitle(renditions, { outDir, overwrite: true, titleId: 'renamed' });
    expect(again.title.id).toBe('renamed');
    expect(JSON.parse(await readFile(join(outDir, 'title.json'), 'utf8'))).toMatchObject({ id: 'renamed' });
    expect(await partials(join(root, 'packages'))).toEqual([]);
  });
});

function trackIdOf(playlist: { segments: Array<{ uri: string }> }): string | undefined {
  return /^video\/([^/]+)\//.exec(playlist.segments[0]?.uri ?? '')?.[1];
}

describe('packageTitle on bad input: a coded error, no output, nothing left behind', () => {
  let n = 0;
  const copyRenditions = async (): Promise<string> => {
    const dir = join(root, 'bad', `r${n++}`);
    await cp(renditions, dir, { recursive: true });
    return dir;
  };
  const attempt = async (input: string, options: { titleId?: string } = {}) => {
    const outDir = join(root, 'bad-out', `p${n++}`);
    await mkdir(join(root, 'bad-out'), { recursive: true });
    const code = await codeOf(packageTitle(input, { outDir, ...options }));
    expect(await exists(outDir)).toBe(false);
    expect(await partials(join(root, 'bad-out'))).toEqual([]);
    return code;
  };

  it('a missing directory or a directory without ladder.json', async () => {
    expect(await attempt(join(root, 'nope'))).toBe('MANIFEST_ERR_RENDITION_MISSING');
    const empty = join(root, 'bad', 'empty');
    await mkdir(empty, { recursive: true });
    expect(await attempt(empty)).toBe('MANIFEST_ERR_RENDITION_MISSING');
    expect(await attempt(join(renditions, 'ladder.json'))).toBe('MANIFEST_ERR_RENDITION_MISSING');
  });

  it('ladder.json that is not JSON, off-schema, or naming files outside the directory', async () => {
    const garbage = await copyRenditions();
    await writeFile(join(garbage, 'ladder.json'), '{"schemaVersion": 1,');
    expect(await attempt(garbage)).toBe('MANIFEST_ERR_LADDER_INVALID');

    const offSchema = await copyRenditions();
    await writeFile(join(offSchema, 'ladder.json'), JSON.stringify({ ...ladder, rungs: [] }));
    expect(await attempt(offSchema)).toBe('MANIFEST_ERR_LADDER_INVALID');

    for (const file of ['../renditions/video/x.mp4', '/etc/passwd']) {
      const escaping = await copyRenditions();
      const rungs = ladder.rungs.map((r, i) => (i === 0 ? { ...r, file } : r));
      await writeFile(join(escaping, 'ladder.json'), JSON.stringify({ ...ladder, rungs }));
      expect(await attempt(escaping), file).toBe('MANIFEST_ERR_LADDER_INVALID');
    }

    const badId = await copyRenditions();
    const rungs = ladder.rungs.map((r, i) => (i === 0 ? { ...r, id: 'v0,stream=audio' } : r));
    await writeFile(join(badId, 'ladder.json'), JSON.stringify({ ...ladder, rungs }));
    expect(await attempt(badId)).toBe('MANIFEST_ERR_LADDER_INVALID');
  });

  it('a rendition that is missing, empty, or damaged', async () => {
    const missing = await copyRenditions();
    await rm(join(missing, ladder.rungs[0]!.file));
    expect(await attempt(missing)).toBe('MANIFEST_ERR_RENDITION_MISSING');

    const empty = await copyRenditions();
    await truncate(join(empty, ladder.rungs[0]!.file), 0);
    expect(await attempt(empty)).toBe('MANIFEST_ERR_RENDITION_MISSING');

    const damaged = await copyRenditions();
    await writeFile(join(damaged, ladder.rungs[0]!.file), Buffer.alloc(4096, 0x5a));
    expect(await attempt(damaged)).toBe('MANIFEST_ERR_PACKAGER_EXIT');
  });

  it('a bad title id, a packager that cannot be started, a cancelled run', async () => {
    expect(await attempt(renditions, { titleId: '../x' })).toBe('MANIFEST_ERR_INVALID_OPTIONS');

    const outDir = join(root, 'bad-out', 'no-packager');
    expect(
      await codeOf(packageTitle(renditions, { outDir }, { packagerPath: join(root, 'no-such-packager') })),
    ).toBe('MANIFEST_ERR_PACKAGER_NOT_FOUND');
    const controller = new AbortController();
    const run = packageTitle(
      renditions,
      { outDir },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === 'packaging') controller.abort();
        },
      },
    );
    expect(await codeOf(run)).toBe('MANIFEST_ERR_CANCELLED');
    expect(await exists(outDir)).toBe(false);
    expect(await partials(join(root, 'bad-out'))).toEqual([]);
  });
});
