/**
 * Ladders from what a player reads (pure): the manifest library's parsed DASH MPD, HLS master and
 * media playlists, or a title package's title.json. Per-rung VMAF comes from our DASH quality
 * descriptor (`urn:open-edge-cdn:quality:2026`, manifests/enrich.ts), from HLS SCORE when the
 * master's session data declares it VMAF (our packager writes the rung's mean quality there and
 * names its metric), or from title.json.
 */
import {
  DASH_QUALITY_SCHEME,
  HLS_QUALITY_METRIC_DATA_ID,
  parseQualityValue,
  representationsOf,
  segmentsOf,
  type HlsMasterPlaylist,
  type HlsMediaPlaylist,
  type Mpd,
  type ResolvedRepresentation,
  type TitleFile,
  type TitleTrack,
} from '../manifests/index.js';
import { PlayerErrorCode, playerError } from './errors.js';
import {
  validateLadder,
  type AudioTrack,
  type Ladder,
  type LadderRung,
  type SegmentLocation,
} from './ladder.js';

function invalid(message: string): never {
  throw playerError(PlayerErrorCode.LadderInvalid, message);
}

/** `first-last` (DASH @mediaRange) as offset and length. */
function dashRange(range: string | undefined): SegmentLocation['byteRange'] {
  const m = range === undefined ? null : /^(\d+)-(\d+)$/.exec(range);
  if (m === null) return undefined;
  const first = Number(m[1]);
  return { offset: first, length: Number(m[2]) - first + 1 };
}

/** `25` or `12800/512` (FrameRateType) as a number. */
function frameRateOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const [num, den] = text.split('/').map(Number);
  const rate = den === undefined ? num : num! / den;
  return rate !== undefined && Number.isFinite(rate) && rate > 0 ? rate : undefined;
}

function withUrl(url: string, base: string | undefined): string {
  if (base === undefined) return url;
  try {
    return new URL(url, base).href;
  } catch {
    return url;
  }
}

interface Track {
  id: string;
  bitrateBps: number;
  durationsMs: number[];
  segments: SegmentLocation[];
  initSegment?: SegmentLocation;
  /** Bytes of each segment, when known (byte ranges, title.json). */
  sizesBytes?: number[];
}

/** Sizes from byte ranges, when every segment has one. */
function rangeSizes(segments: readonly SegmentLocation[]): number[] | undefined {
  if (!segments.every((s) => s.byteRange !== undefined)) return undefined;
  return segments.map((s) => s.byteRange!.length);
}

/** Sizes per segment and rung when every track knows them (video plus audio). */
function knownSizes(videos: readonly Track[], audio: Track | undefined): number[][] | undefined {
  const all = audio ? [...videos, audio] : videos;
  if (!all.every((t) => t.sizesBytes !== undefined)) return undefined;
  return videos[0]!.segments.map((_, k) =>
    videos.map((v) => v.sizesBytes![k]! + (audio?.sizesBytes![k] ?? 0)),
  );
}

interface RungFacts {
  width?: number | undefined;
  height?: number | undefined;
  frameRate?: number | undefined;
  codecs?: string | undefined;
  vmaf?: number | undefined;
}

/** A rung from its video track (with audio added to the rate) and the facts the manifest gives. */
function videoRung(v: Track, audioBps: number, facts: RungFacts, includesAudio = false): LadderRung {
  const known = Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== undefined));
  return {
    id: v.id,
    bitrateBps: v.bitrateBps + (includesAudio ? 0 : audioBps),
    ...(includesAudio ? {} : { videoBitrateBps: v.bitrateBps }),
    ...known,
    ...(v.initSegment ? { initSegment: v.initSegment } : {}),
    segments: v.segments,
  };
}

function checkAligned(videos: readonly Track[], audio: Track | undefined, what: string): void {
  const count = videos[0]!.segments.length;
  for (const track of audio ? [...videos, audio] : videos) {
    if (track.segments.length !== count) {
      invalid(
        `${what}: track ${track.id} has ${track.segments.length} segments, track ${videos[0]!.id} has ${count}`,
      );
    }
  }
}

/**
 * The video ladder of one Period of an MPD (with the first audio Representation, if any). Rung
 * bitrates are the video @bandwidth plus the audio's; segment URLs are resolved when `manifestUrl` is
 * given. Throws PLAYER_ERR_LADDER_INVALID when there is no video, a bandwidth is missing, or tracks do
 * not have the same number of segments.
 */
export function ladderFromDash(
  mpd: Mpd,
  options: { manifestUrl?: string; periodIndex?: number } = {},
): Ladder {
  const periodIndex = options.periodIndex ?? 0;
  const reps = representationsOf(mpd).filter((r) => r.periodIndex === periodIndex);
  const videoReps = reps.filter((r) => r.contentType === 'video');
  const audioRep = reps.find((r) => r.contentType === 'audio');
  if (videoReps.length === 0) invalid(`MPD period ${periodIndex} has no video Representation`);
  const segmentOptions = options.manifestUrl === undefined ? {} : { manifestUrl: options.manifestUrl };
  const track = (rep: ResolvedRepresentation): Track => {
    if (rep.bandwidthBps === undefined || !(rep.bandwidthBps > 0)) invalid(`${rep.path} has no @bandwidth`);
    const expanded = segmentsOf(mpd, rep, segmentOptions);
    const init = expanded.resolvedInitUrl ?? expanded.initUrl;
    const initRange = dashRange(expanded.initRange);
    const segments = expanded.segments.map((s): SegmentLocation => {
      const range = dashRange(s.mediaRange);
      return { url: s.resolvedMediaUrl ?? s.mediaUrl, ...(range ? { byteRange: range } : {}) };
    });
    const sizesBytes = rangeSizes(segments);
    return {
      id: rep.id ?? rep.path,
      bitrateBps: rep.bandwidthBps,
      durationsMs: expanded.segments.map((s) => s.durationS * 1000),
      segments,
      ...(sizesBytes ? { sizesBytes } : {}),
      ...(init === undefined
        ? {}
        : { initSegment: { url: init, ...(initRange ? { byteRange: initRange } : {}) } }),
    };
  };
  const sorted = [...videoReps].sort((a, b) => (a.bandwidthBps ?? 0) - (b.bandwidthBps ?? 0));
  const videos = sorted.map(track);
  const audio = audioRep ? track(audioRep) : undefined;
  checkAligned(videos, audio, 'MPD');
  const audioBps = audio?.bitrateBps ?? 0;
  const rungs = sorted.map((rep, i): LadderRung => {
    const quality = rep.descriptors
      .filter((d) => d.schemeIdUri === DASH_QUALITY_SCHEME && d.value !== undefined)
      .map((d) => parseQualityValue(d.value!))
      .find((q) => q?.metric === 'vmaf');
    return videoRung(videos[i]!, audioBps, {
      width: rep.width,
      height: rep.height,
      frameRate: frameRateOf(rep.frameRate),
      codecs: rep.codecs,
      vmaf: quality?.mean,
    });
  });
  return finish('dash', videos, audio, rungs, audioRep?.codecs);
}

function finish(
  source: Ladder['source'],
  videos: readonly Track[],
  audio: Track | undefined,
  rungs: LadderRung[],
  audioCodecs: string | undefined,
): Ladder {
  const ladder: Ladder = { source, segmentDurationsMs: videos[0]!.durationsMs, rungs };
  const sizes = knownSizes(videos, audio);
  if (sizes) ladder.segmentSizesBytes = sizes;
  if (audio) {
    const track: AudioTrack = {
      id: audio.id,
      bitrateBps: audio.bitrateBps,
      ...(audioCodecs === undefined ? {} : { codecs: audioCodecs }),
      ...(audio.initSegment ? { initSegment: audio.initSegment } : {}),
      segments: audio.segments,
    };
    ladder.audio = track;
  }
  return validateLadder(ladder);
}

/** Media segments of an HLS media playlist, URLs resolved against `playlistUrl` when given. */
function hlsTrack(
  id: string,
  bitrateBps: number,
  media: HlsMediaPlaylist,
  playlistUrl: string | undefined,
): Track {
  let nextOffset = 0;
  const segments = media.segments.map((s): SegmentLocation => {
    const url = withUrl(s.uri, playlistUrl);
    if (s.byteRange === undefined) return { url };
    const offset = s.byteRange.offset ?? nextOffset;
    nextOffset = offset + s.byteRange.length;
    return { url, byteRange: { offset, length: s.byteRange.length } };
  });
  const map = media.segments[0]?.map;
  const sizesBytes = rangeSizes(segments);
  return {
    id,
    bitrateBps,
    durationsMs: media.segments.map((s) => s.durationS * 1000),
    segments,
    ...(sizesBytes ? { sizesBytes } : {}),
    ...(map === undefined ? {} : { initSegment: { url: withUrl(map.uri, playlistUrl) } }),
  };
}

/**
 * The ladder of an HLS master playlist and its media playlists (looked up by URI as written in the
 * master). Rung bitrates are AVERAGE-BANDWIDTH, else BANDWIDTH (both count audio, RFC 8216
 * §4.3.4.2); SCORE is taken as the rung's VMAF when the playlist's session data says its metric is
 * VMAF (HLS_QUALITY_METRIC_DATA_ID; SCORE alone is only an order); the audio track is the variants' audio group's
 * DEFAULT rendition (else its first). URLs are resolved when `masterUrl` is given.
 */
export function ladderFromHls(
  master: HlsMasterPlaylist,
  mediaPlaylists: ReadonlyMap<string, HlsMediaPlaylist>,
  options: { masterUrl?: string } = {},
): Ladder {
  const variants = [...master.variants]
    .filter((v) => v.uri !== '')
    .sort(
      (a, b) =>
        (a.averageBandwidthBps ?? a.bandwidthBps ?? 0) - (b.averageBandwidthBps ?? b.bandwidthBps ?? 0),
    );
  if (variants.length === 0) invalid('HLS master playlist has no variant');
  const mediaOf = (uri: string): HlsMediaPlaylist =>
    mediaPlaylists.get(uri) ?? invalid(`no media playlist given for ${JSON.stringify(uri)}`);
  const videos = variants.map((v) => {
    const bitrateBps = v.averageBandwidthBps ?? v.bandwidthBps;
    if (bitrateBps === undefined || !(bitrateBps > 0)) invalid(`variant ${v.uri} has no BANDWIDTH`);
    return hlsTrack(
      v.uri,
      bitrateBps,
      mediaOf(v.uri),
      options.masterUrl && withUrl(v.uri, options.masterUrl),
    );
  });
  const groupId = variants[0]!.audioGroupId;
  const group = master.renditions.filter(
    (r) => r.type === 'AUDIO' && r.groupId === groupId && r.uri !== undefined,
  );
  const rendition = group.find((r) => r.default === true) ?? group[0];
  let audio: Track | undefined;
  if (groupId !== undefined && rendition?.uri !== undefined) {
    const media = mediaOf(rendition.uri);
    const rates = media.segments.map((s) => s.bitrateKbps).filter((b): b is number => b !== undefined);
    const bitrateBps = rates.length ? (rates.reduce((a, b) => a + b, 0) / rates.length) * 1000 : 0;
    audio = hlsTrack(
      rendition.name ?? rendition.uri,
      bitrateBps,
      media,
      options.masterUrl && withUrl(rendition.uri, options.masterUrl),
    );
  }
  checkAligned(videos, audio, 'HLS');
  const scoreIsVmaf =
    master.sessionData.find((d) => d.dataId === HLS_QUALITY_METRIC_DATA_ID)?.value?.toLowerCase() === 'vmaf';
  const rungs = variants.map((v, i): LadderRung => {
    const codecs = v.codecs?.split(',').find((c) => !c.trim().startsWith('mp4a'));
    const score =
      scoreIsVmaf && v.score !== undefined && v.score >= 0 && v.score <= 100 ? v.score : undefined;
    const facts = { width: v.resolution?.width, height: v.resolution?.height, frameRate: v.frameRate };
    return videoRung(videos[i]!, 0, { ...facts, codecs: codecs?.trim(), vmaf: score }, true);
  });
  const audioCodecs = variants[0]!.codecs?.split(',').find((c) => c.trim().startsWith('mp4a'));
  return finish('hls', videos, audio, rungs, audioCodecs?.trim());
}

/**
 * The ladder of a title package (its title.json): exact segment sizes (video plus the first audio
 * track), average rates, and VMAF when the encoder measured VMAF. Paths are resolved against
 * `baseUrl` when given (e.g. `https://edge/content/<title>/<version>/`).
 */
export function ladderFromTitle(title: TitleFile, options: { baseUrl?: string } = {}): Ladder {
  const videoTracks = title.tracks
    .filter((t) => t.type === 'video')
    .sort((a, b) => a.averageBandwidthBps - b.averageBandwidthBps);
  const audioTrack = title.tracks.find((t) => t.type === 'audio');
  if (videoTracks.length === 0) invalid(`title ${title.id} has no video track`);
  const track = (t: TitleTrack): Track => ({
    id: t.id,
    bitrateBps: t.averageBandwidthBps,
    durationsMs: t.segments.map((s) => s.durationS * 1000),
    segments: t.segments.map((s) => ({ url: withUrl(s.path, options.baseUrl) })),
    sizesBytes: t.segments.map((s) => s.sizeBytes),
    initSegment: { url: withUrl(t.init.path, options.baseUrl) },
  });
  const videos = videoTracks.map(track);
  const audio = audioTrack ? track(audioTrack) : undefined;
  checkAligned(videos, audio, `title ${title.id}`);
  const audioBps = audio?.bitrateBps ?? 0;
  const rungs = videoTracks.map((t, i): LadderRung =>
    videoRung(videos[i]!, audioBps, {
      width: t.width,
      height: t.height,
      frameRate: t.frameRate,
      codecs: t.codecs,
      vmaf: t.quality?.metric === 'vmaf' ? t.quality.mean : undefined,
    }),
  );
  return finish('title', videos, audio, rungs, audioTrack?.codecs);
}
