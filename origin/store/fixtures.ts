import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TITLE_SCHEMA_VERSION, type TitleFile, type TitleTrack } from '../../manifests/index.js';

/**
 * A small but valid title package written without FFmpeg or shaka-packager, in the packager's layout
 * (for store and serving tests, and the benchmark). Bytes are deterministic per `seed`.
 */
export interface FakePackageSpec {
  titleId: string;
  /** Changes every byte (and so the version). */
  seed?: string;
  /** Bytes per media segment. */
  segmentBytes?: number;
  segmentCount?: number;
  /** createdAt, and the version's timestamp. */
  createdAt?: Date;
}

/** Deterministic bytes: SHAKE256 as an extendable-output function of the label. */
function bytesFor(label: string, size: number): Buffer {
  return createHash('shake256', { outputLength: size }).update(label).digest();
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Writes the package into `dir` (created) and returns its title.json. */
export async function writeFakePackage(dir: string, spec: FakePackageSpec): Promise<TitleFile> {
  const seed = spec.seed ?? 'a';
  const segmentBytes = spec.segmentBytes ?? 4096;
  const count = spec.segmentCount ?? 3;
  const createdAt = spec.createdAt ?? new Date('2025-01-01T00:00:00Z');
  const files = new Map<string, Buffer>();
  const put = (path: string, data: Buffer | string): void => {
    files.set(path, Buffer.isBuffer(data) ? data : Buffer.from(data));
  };
  const tracks: TitleTrack[] = [];
  for (const t of [
    { id: 'v0', type: 'video' as const, codecs: 'avc1.64001e', width: 320, height: 180 },
    { id: 'a0', type: 'audio' as const, codecs: 'mp4a.40.2' },
  ]) {
    const dirName = `${t.type}/${t.id}`;
    const init = bytesFor(`${seed}/${dirName}/init`, 700);
    put(`${dirName}/init.mp4`, init);
    const segments = [];
    const lines = [
      '#EXTM3U',
      '#EXT-X-VERSION:6',
      '#EXT-X-TARGETDURATION:4',
      '#EXT-X-PLAYLIST-TYPE:VOD',
      '#EXT-X-MAP:URI="init.mp4"',
    ];
    for (let n = 1; n <= count; n++) {
      const name = `${String(n).padStart(5, '0')}.m4s`;
      const bytes = bytesFor(`${seed}/${dirName}/${n}`, t.type === 'audio' ? 1024 : segmentBytes);
      put(`${dirName}/${name}`, bytes);
      segments.push({
        path: `${dirName}/${name}`,
        sizeBytes: bytes.length,
        sha256: sha(bytes),
        number: n,
        startS: (n - 1) * 4,
        durationS: 4,
      });
      lines.push('#EXTINF:4.000,', name);
    }
    lines.push('#EXT-X-ENDLIST', '');
    put(`${dirName}/playlist.m3u8`, lines.join('\n'));
    const track: TitleTrack = {
      id: t.id,
      type: t.type,
      codecs: t.codecs,
      peakBandwidthBps: 100_000,
      averageBandwidthBps: 90_000,
      dashBandwidthBps: 95_000,
      playlist: `${dirName}/playlist.m3u8`,
      init: { path: `${dirName}/init.mp4`, sizeBytes: init.length, sha256: sha(init) },
      segments,
    };
    if (t.width !== undefined) Object.assign(track, { width: t.width, height: t.height, frameRate: 25 });
    tracks.push(track);
  }
  const timeline = `<SegmentTimeline><S t="0" d="51200" r="${count - 1}"/></SegmentTimeline>`;
  put(
    'manifest.mpd',
    [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<!--fake package ${seed}-->`,
      `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" minBufferTime="PT2S" type="static" mediaPresentationDuration="PT${count * 4}S">`,
      '  <Period id="0">',
      '    <AdaptationSet id="0" contentType="video" segmentAlignment="true">',
      '      <Representation id="v0" bandwidth="95000" codecs="avc1.64001e" mimeType="video/mp4" width="320" height="180">',
      `        <SegmentTemplate timescale="12800" initialization="video/v0/init.mp4" media="video/v0/$Number%05d$.m4s" startNumber="1">${timeline}</SegmentTemplate>`,
      '      </Representation>',
      '    </AdaptationSet>',
      '    <AdaptationSet id="1" contentType="audio" segmentAlignment="true">',
      '      <Representation id="a0" bandwidth="95000" codecs="mp4a.40.2" mimeType="audio/mp4" audioSamplingRate="48000">',
      `        <SegmentTemplate timescale="12800" initialization="audio/a0/init.mp4" media="audio/a0/$Number%05d$.m4s" startNumber="1">${timeline}</SegmentTemplate>`,
      '      </Representation>',
      '    </AdaptationSet>',
      '  </Period>',
      '</MPD>',
      '',
    ].join('\n'),
  );
  put(
    'master.m3u8',
    [
      '#EXTM3U',
      `## fake package ${seed}`,
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-MEDIA:TYPE=AUDIO,URI="audio/a0/playlist.m3u8",GROUP-ID="audio",NAME="a0",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2"',
      '#EXT-X-STREAM-INF:BANDWIDTH=200000,AVERAGE-BANDWIDTH=180000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=320x180,AUDIO="audio"',
      'video/v0/playlist.m3u8',
      '',
    ].join('\n'),
  );
  put('ladder.json', `${JSON.stringify({ fake: seed })}\n`);

  const digest = createHash('sha256');
  for (const path of [...files.keys()].sort())
    digest.update(`${path}\0${files.get(path)!.length}\0${sha(files.get(path)!)}\n`);
  const stamp = createdAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const title: TitleFile = {
    schemaVersion: TITLE_SCHEMA_VERSION,
    id: spec.titleId,
    version: `${stamp}-${digest.digest('hex').slice(0, 12)}`,
    createdAt: createdAt.toISOString(),
    durationS: count * 4,
    segmentDurationS: 4,
    manifests: { dash: 'manifest.mpd', hls: 'master.m3u8' },
    ladder: 'ladder.json',
    tracks,
    totalSizeBytes: [...files.values()].reduce((sum, b) => sum + b.length, 0),
    packager: { name: 'shaka-packager', version: 'fake' },
  };
  put('title.json', `${JSON.stringify(title, null, 2)}\n`);
  for (const [path, bytes] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), bytes);
  }
  return title;
}
