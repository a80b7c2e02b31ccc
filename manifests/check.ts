import { parseMpd, representationsOf, segmentsOf, validateMpd, type Mpd } from './dash/index.js';
import { formatProblemLocation, type ManifestProblem } from './errors.js';
import { parseHlsMaster, parseHlsMedia, validateHlsPlaylist, type HlsMasterPlaylist } from './hls/index.js';
import { PACKAGE_FILES, trackDir, type PackagerTrack } from './packager.js';

/** A track as the check found it in the packager's output; paths relative to the package root. */
export interface CheckedTrack {
  id: string;
  type: 'video' | 'audio';
  codecs: string;
  width?: number;
  height?: number;
  /** The track's HLS media playlist. */
  playlist: string;
  init: string;
  segments: Array<{ number: number; path: string; startS: number; durationS: number }>;
}

export interface CheckInput {
  mpdText: string;
  masterText: string;
  /** Media playlists by package path. */
  mediaPlaylists: ReadonlyMap<string, string>;
  /** Every file of the package: path → size in bytes. */
  fileSizes: ReadonlyMap<string, number>;
  /** What was asked of the packager. */
  tracks: readonly PackagerTrack[];
}

export interface CheckResult {
  /** Human-readable problems, each naming the track or manifest location; empty when the package is good. */
  problems: string[];
  tracks: CheckedTrack[];
}

/**
 * HLS writes EXTINF with millisecond precision; a playlist duration may differ from the MPD's exact
 * timescale value by rounding, so durations agree when within 1.5 ms.
 */
const HLS_DURATION_TOLERANCE_S = 0.0015;

/** Video tracks of one ladder must cut segments at the same instants (within a microsecond). */
const ALIGNMENT_TOLERANCE_S = 1e-6;

/**
 * Checks the packager's output instead of trusting it: both manifests are valid, every track has its
 * init segment and every segment both manifests name (non-empty files), HLS and DASH agree on the
 * segments, the video tracks are switchable (same segment count and boundaries; validateMpd
 * requires segmentAlignment on a multi-rung video AdaptationSet), and codecs, bandwidths and resolutions are present.
 */
export function checkPackage(input: CheckInput): CheckResult {
  const problems: string[] = [];
  const located = (what: string, list: readonly ManifestProblem[]): void => {
    for (const p of list) problems.push(`${what} ${formatProblemLocation(p)}: ${p.message}`);
  };
  located(PACKAGE_FILES.dash, validateMpd(input.mpdText));
  located(PACKAGE_FILES.hls, validateHlsPlaylist(input.masterText));
  for (const [path, text] of input.mediaPlaylists) located(path, validateHlsPlaylist(text));
  if (problems.length > 0) return { problems, tracks: [] };

  const mpd = parseMpd(input.mpdText);
  const master = parseHlsMaster(input.masterText);
  const tracks: CheckedTrack[] = [];
  for (const track of input.tracks) {
    const checked = checkTrack(track, mpd, master, input, problems);
    if (checked) tracks.push(checked);
  }
  checkVideoAlignment(tracks, problems);
  return { problems, tracks };
}

function checkTrack(
  track: PackagerTrack,
  mpd: Mpd,
  master: HlsMasterPlaylist,
  input: CheckInput,
  problems: string[],
): CheckedTrack | undefined {
  const dir = trackDir(track);
  const name = `${track.type} track ${track.id}`;
  const initPath = `${dir}/init.mp4`;
  const rep = representationsOf(mpd).find((r) => segmentsOf(mpd, r).initUrl === initPath);
  if (!rep) {
    problems.push(`${name}: the MPD has no Representation with initialization ${initPath}`);
    return undefined;
  }
  const codecs = rep.codecs;
  if (!codecs) problems.push(`${name}: the MPD gives no codecs`);
  if (!(rep.bandwidthBps !== undefined && rep.bandwidthBps > 0))
    problems.push(`${name}: the MPD gives no bandwidth`);
  if (track.type === 'video' && (rep.width === undefined || rep.height === undefined)) {
    problems.push(`${name}: the MPD gives no resolution`);
  }
  requireFile(input.fileSizes, initPath, name, problems);
  const segments = segmentsOf(mpd, rep).segments.map((s) => ({
    number: s.number,
    path: s.mediaUrl,
    startS: s.startS,
    durationS: s.durationS,
  }));
  if (segments.length === 0) problems.push(`${name}: the MPD lists no segments`);
  for (const s of segments) requireFile(input.fileSizes, s.path, name, problems);

  const playlist = `${dir}/playlist.m3u8`;
  checkHlsTrack(track, playlist, master, input, segments, initPath, problems);
  return {
    id: track.id,
    type: track.type,
    codecs: codecs ?? '',
    ...(rep.width !== undefined ? { width: rep.width } : {}),
    ...(rep.height !== undefined ? { height: rep.height } : {}),
    playlist,
    init: initPath,
    segments,
  };
}

function checkHlsTrack(
  track: PackagerTrack,
  playlist: string,
  master: HlsMasterPlaylist,
  input: CheckInput,
  dashSegments: ReadonlyArray<{ path: string; durationS: number }>,
  initPath: string,
  problems: string[],
): void {
  const name = `${track.type} track ${track.id}`;
  if (track.type === 'video') {
    const variant = master.variants.find((v) => v.uri === playlist);
    if (!variant) problems.push(`${name}: master.m3u8 has no variant ${playlist}`);
    else {
      if (!variant.codecs) problems.push(`${name}: master.m3u8 gives no CODECS`);
      if (!variant.resolution) problems.push(`${name}: master.m3u8 gives no RESOLUTION`);
      if (!(variant.bandwidthBps !== undefined && variant.bandwidthBps > 0)) {
        problems.push(`${name}: master.m3u8 gives no BANDWIDTH`);
      }
    }
  } else if (!master.renditions.some((r) => r.type === 'AUDIO' && r.uri === playlist)) {
    problems.push(`${name}: master.m3u8 has no audio rendition ${playlist}`);
  }
  const text = input.mediaPlaylists.get(playlist);
  if (text === undefined) {
    problems.push(`${name}: no media playlist ${playlist}`);
    return;
  }
  const media = parseHlsMedia(text);
  const dir = playlist.slice(0, playlist.lastIndexOf('/') + 1);
  if (media.playlistType !== 'VOD' || !media.endList)
    problems.push(`${name}: ${playlist} is not a VOD playlist`);
  if (media.segments.length !== dashSegments.length) {
    problems.push(
      `${name}: ${playlist} lists ${media.segments.length} segments, the MPD ${dashSegments.length}`,
    );
    return;
  }
  media.segments.forEach((segment, i) => {
    const dash = dashSegments[i];
    if (!dash) return;
    if (`${dir}${segment.uri}` !== dash.path) {
      problems.push(`${name}: segment ${i} is ${dir}${segment.uri} in HLS and ${dash.path} in the MPD`);
    }
    if (Math.abs(segment.durationS - dash.durationS) > HLS_DURATION_TOLERANCE_S) {
      problems.push(
        `${name}: segment ${i} lasts ${segment.durationS} s in HLS and ${dash.durationS} s in the MPD`,
      );
    }
    if (segment.map === undefined || `${dir}${segment.map.uri}` !== initPath) {
      problems.push(`${name}: segment ${i} of ${playlist} does not use ${initPath}`);
    }
  });
}

function requireFile(
  sizes: ReadonlyMap<string, number>,
  path: string,
  name: string,
  problems: string[],
): void {
  const size = sizes.get(path);
  if (size === undefined) problems.push(`${name}: ${path} is missing`);
  else if (size === 0) problems.push(`${name}: ${path} is empty`);
}

/** A ladder is switchable only when every video track cuts segments at the same instants. */
function checkVideoAlignment(tracks: readonly CheckedTrack[], problems: string[]): void {
  const video = tracks.filter((t) => t.type === 'video');
  const [first, ...rest] = video;
  if (!first) {
    problems.push('the package has no video track');
    return;
  }
  for (const other of rest) {
    if (other.segments.length !== first.segments.length) {
      problems.push(
        `video tracks ${first.id} and ${other.id} have ${first.segments.length} and ${other.segments.length} segments`,
      );
      continue;
    }
    const at = other.segments.findIndex((s, i) => {
      const f = first.segments[i];
      return (
        f === undefined ||
        Math.abs(s.startS - f.startS) > ALIGNMENT_TOLERANCE_S ||
        Math.abs(s.durationS - f.durationS) > ALIGNMENT_TOLERANCE_S
      );
    });
    if (at >= 0) problems.push(`video tracks ${first.id} and ${other.id} are not aligned at segment ${at}`);
  }
}
