/**
 * Packaging and manifest benchmark (not part of CI): `npm run bench:manifests`.
 *
 * 1. Packaging time against content duration: a 60 s 640x360 title (3 rungs + audio) is encoded once,
 *    then packaged by `packageTitle` (shaka-packager + checks + hashing + enrichment) and, as the
 *    baseline in the same run, remuxed to fragmented MP4 by FFmpeg with `-c copy` (the cheapest pass
 *    over the same bytes). Alternating A B A B, medians of 3.
 * 2. Parse/write throughput on a 2-hour title's manifests (1800 segments per track, 8 tracks, segment
 *    durations varying so that SegmentTimeline cannot collapse them): our HLS and DASH libraries
 *    against the video.js parsers (m3u8-parser, mpd-parser) parsing the same text in the same run.
 *
 * Environment: BENCH_DURATION_S (default 60).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser as M3u8Parser } from 'm3u8-parser';
import { parse as vhsParseMpd } from 'mpd-parser';
import { runFfmpeg } from '../../encoder/ffmpeg.js';
import { encodeTitle, encoderToolsConfigFromEnv, makeSyntheticSource } from '../../encoder/index.js';
import { parseMpd, writeMpd, type Mpd } from '../../manifests/dash/index.js';
import { parseHlsMedia, writeHlsPlaylist, type HlsMediaPlaylist } from '../../manifests/hls/index.js';
import { packageTitle } from '../../manifests/index.js';

const durationS = Number(process.env.BENCH_DURATION_S ?? 60);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await work();
  return (performance.now() - t0) / 1000;
}

/** Runs `work` repeatedly for about `budgetMs` and returns operations per second. */
function opsPerSecond(work: () => void, budgetMs = 1500): number {
  work();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < budgetMs) {
    work();
    n++;
  }
  return (n * 1000) / (performance.now() - t0);
}

async function benchPackaging(): Promise<void> {
  const tools = encoderToolsConfigFromEnv();
  const dir = await mkdtemp(join(tmpdir(), 'cdn-bench-manifests-'));
  try {
    const source = await makeSyntheticSource(
      tools.ffmpegPath,
      { pattern: 'moderate', resolution: { width: 640, height: 360 }, durationS, fps: 25, audio: true },
      join(dir, 'source.mp4'),
    );
    const { ladder, outDir } = await encodeTitle(source, {
      outDir: join(dir, 'renditions'),
      metric: 'psnr',
      resolutions: [
        { width: 640, height: 360 },
        { width: 416, height: 234 },
        { width: 256, height: 144 },
      ],
      preset: 'veryfast',
      maxRungs: 3,
      verifyRungs: false,
    });
    const files = [...ladder.rungs.map((r) => r.file), ...ladder.audio.map((a) => a.file)];
    const ours: number[] = [];
    const remux: number[] = [];
    for (let i = 0; i < 3; i++) {
      ours.push(await timed(() => packageTitle(outDir, { outDir: join(dir, `pkg${i}`) })));
      remux.push(
        await timed(async () => {
          for (const [j, file] of files.entries()) {
            await runFfmpeg(tools.ffmpegPath, [
              '-v',
              'error',
              '-i',
              join(outDir, file),
              '-c',
              'copy',
              '-f',
              'mp4',
              '-movflags',
              'frag_keyframe+empty_moov',
              '-y',
              join(dir, `remux${i}-${j}.mp4`),
            ]);
          }
        }),
      );
    }
    console.log(
      `packaging ${durationS} s (${ladder.rungs.length} rungs + ${ladder.audio.length} audio): packageTitle ${median(ours).toFixed(2)} s ` +
        `(${((median(ours) / durationS) * 100).toFixed(2)}% of real time), ffmpeg -c copy remux ${median(remux).toFixed(2)} s, ratio ${(median(ours) / median(remux)).toFixed(2)}x`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Segment durations of a 2-hour title cut at scene changes: 3.5 to 4.5 s, deterministic. */
function segmentDurationsS(count: number): number[] {
  let seed = 42;
  return Array.from({ length: count }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return 3.5 + Math.round((seed / 2 ** 31) * 25) / 25;
  });
}

function mediaPlaylist(durations: number[]): HlsMediaPlaylist {
  return {
    kind: 'media',
    version: 6,
    targetDurationS: 5,
    playlistType: 'VOD',
    independentSegments: true,
    iFramesOnly: false,
    endList: true,
    defines: [],
    extraTags: [],
    trailingTags: [],
    segments: durations.map((durationS, i) => ({
      uri: `${String(i + 1).padStart(5, '0')}.m4s`,
      durationS,
      map: { uri: 'init.mp4' },
    })),
  };
}

function mpdOf(durations: number[], tracks: number): Mpd {
  const timescale = 12800;
  const timeline = durations.map((d) => ({ d: Math.round(d * timescale) }));
  return {
    namespaces: { xmlns: 'urn:mpeg:dash:schema:mpd:2011' },
    profiles: 'urn:mpeg:dash:profile:isoff-live:2011',
    type: 'static',
    mediaPresentationDurationS: durations.reduce((a, b) => a + b, 0),
    minBufferTimeS: 2,
    baseUrls: [],
    periods: [
      {
        id: '0',
        baseUrls: [],
        adaptationSets: [
          {
            id: '0',
            contentType: 'video',
            mimeType: 'video/mp4',
            segmentAlignment: true,
            descriptors: [],
            baseUrls: [],
            representations: Array.from({ length: tracks }, (_, i) => ({
              id: String(i),
              bandwidthBps: 300_000 * (i + 1),
              codecs: 'avc1.64001f',
              width: 160 * (i + 1),
              height: 90 * (i + 1),
              descriptors: [],
              baseUrls: [],
              segmentTemplate: {
                timescale,
                startNumber: 1,
                initialization: `video/v${i}/init.mp4`,
                media: `video/v${i}/$Number%05d$.m4s`,
                timeline,
              },
            })),
          },
        ],
      },
    ],
  };
}

function benchParsers(): void {
  const durations = segmentDurationsS(1800);
  const tracks = 8;
  const hlsText = writeHlsPlaylist(mediaPlaylist(durations));
  const mpdText = writeMpd(mpdOf(durations, tracks));
  console.log(
    `2-hour title: HLS media playlist ${(hlsText.length / 1024).toFixed(0)} KiB × ${tracks}, MPD ${(mpdText.length / 1024).toFixed(0)} KiB`,
  );

  const rows: Array<[string, () => void, () => void]> = [
    [
      'HLS parse (8 media playlists)',
      () => {
        for (let i = 0; i < tracks; i++) parseHlsMedia(hlsText);
      },
      () => {
        for (let i = 0; i < tracks; i++) {
          const p = new M3u8Parser();
          p.push(hlsText);
          p.end();
        }
      },
    ],
    [
      'DASH parse (8 × 1800 segments)',
      () => void parseMpd(mpdText),
      () => void vhsParseMpd(mpdText, { manifestUri: 'https://e.example/m.mpd' }),
    ],
  ];
  for (const [name, ours, baseline] of rows) {
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 3; i++) {
      a.push(opsPerSecond(ours));
      b.push(opsPerSecond(baseline));
    }
    console.log(
      `${name}: ours ${median(a).toFixed(1)}/s, video.js parser ${median(b).toFixed(1)}/s, ratio ${(median(a) / median(b)).toFixed(2)}x`,
    );
  }
  const hlsModel = parseHlsMedia(hlsText);
  const mpdModel = parseMpd(mpdText);
  const hlsWrite = median([0, 1, 2].map(() => opsPerSecond(() => void writeHlsPlaylist(hlsModel))));
  const mpdWrite = median([0, 1, 2].map(() => opsPerSecond(() => void writeMpd(mpdModel))));
  console.log(
    `HLS write: ${(hlsWrite / tracks).toFixed(1)} title sets/s (${tracks} playlists each); DASH write: ${mpdWrite.toFixed(1)} MPDs/s`,
  );
}

async function main(): Promise<void> {
  benchParsers();
  await benchPackaging();
}

await main();
