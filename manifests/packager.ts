import { CommonErrorCode, isCdnError } from '../common/errors.js';
import { lastLines, runProcess } from '../common/process.js';
import { ManifestErrorCode, manifestError } from './errors.js';

/** One elementary stream handed to shaka-packager. */
export interface PackagerTrack {
  /** Track id, also its directory name in the package (`video/<id>/`); [A-Za-z0-9_-] only. */
  id: string;
  type: 'video' | 'audio';
  /** Input file, relative to the packager's working directory, without ',' or '=' (descriptor syntax). */
  input: string;
  /** BCP 47 / ISO 639 language of an audio track. */
  language?: string;
}

export interface PackagerLayout {
  segmentDurationS: number;
  /** DASH minBufferTime, seconds (shaka's default is 2). */
  minBufferTimeS: number;
}

/** File names inside a package, relative to its root. */
export const PACKAGE_FILES = {
  dash: 'manifest.mpd',
  hls: 'master.m3u8',
  ladder: 'ladder.json',
  title: 'title.json',
} as const;

/** Segment files are numbered from 1 with five digits (99999 × 4 s = 111 hours). */
const SEGMENT_TEMPLATE = '$Number%05d$.m4s';

/** Directory of a track in the package. */
export function trackDir(track: Pick<PackagerTrack, 'id' | 'type'>): string {
  return `${track.type}/${track.id}`;
}

const SAFE_DESCRIPTOR_VALUE = /^[A-Za-z0-9._/-]+$/;

/**
 * shaka-packager arguments for one call that packages every track as CMAF (fMP4, one init segment per
 * track), a static VOD DASH MPD and an HLS master with VOD media playlists sharing the same segments.
 * Paths are relative to the working directory the packager runs in (the staging package directory).
 */
export function buildPackagerArgs(tracks: readonly PackagerTrack[], layout: PackagerLayout): string[] {
  if (tracks.length === 0) throw manifestError(ManifestErrorCode.InvalidOptions, 'nothing to package');
  if (!tracks.some((t) => t.type === 'video')) {
    throw manifestError(ManifestErrorCode.InvalidOptions, 'a package needs at least one video track');
  }
  const ids = new Set<string>();
  const descriptors = tracks.map((track) => {
    if (!/^[A-Za-z0-9_-]+$/.test(track.id) || ids.has(`${track.type}/${track.id}`)) {
      throw manifestError(
        ManifestErrorCode.InvalidOptions,
        `bad or repeated track id ${JSON.stringify(track.id)}`,
      );
    }
    ids.add(`${track.type}/${track.id}`);
    for (const value of [track.input, track.language ?? 'und']) {
      if (!SAFE_DESCRIPTOR_VALUE.test(value)) {
        throw manifestError(
          ManifestErrorCode.InvalidOptions,
          `${JSON.stringify(value)} cannot be written in a packager stream descriptor`,
        );
      }
    }
    const dir = trackDir(track);
    const fields = [
      `in=${track.input}`,
      `stream=${track.type}`,
      `init_segment=${dir}/init.mp4`,
      `segment_template=${dir}/${SEGMENT_TEMPLATE}`,
      `playlist_name=${dir}/playlist.m3u8`,
    ];
    if (track.type === 'audio') {
      fields.push('hls_group_id=audio', `hls_name=${track.language ?? track.id}`);
      if (track.language !== undefined) fields.push(`language=${track.language}`);
    }
    return fields.join(',');
  });
  return [
    ...descriptors,
    '--segment_duration',
    String(layout.segmentDurationS),
    '--fragment_duration',
    String(layout.segmentDurationS),
    '--min_buffer_time',
    String(layout.minBufferTimeS),
    '--generate_static_live_mpd',
    '--mpd_output',
    PACKAGE_FILES.dash,
    '--hls_master_playlist_output',
    PACKAGE_FILES.hls,
    '--hls_playlist_type',
    'VOD',
  ];
}

/** The version shaka-packager prints (`packager version v3.4.2-c819dea-release` → `v3.4.2-c819dea-release`). */
export function parsePackagerVersion(output: string): string | undefined {
  return /version\s+(v?\d+\.\d+\.\d+\S*)/.exec(output)?.[1];
}

/** shaka-packager's error lines (glog `E`/`F` severity) from its stderr, for error messages. */
export function packagerErrorLines(stderr: string): string {
  const errors = stderr.split('\n').filter((line) => /^[EF]\d{4} /.test(line));
  return errors.length > 0 ? errors.slice(-5).join('\n') : lastLines(stderr, 8);
}

export interface RunPackagerOptions {
  cwd: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Asks the binary for its version; MANIFEST_ERR_PACKAGER_NOT_FOUND when it cannot be run. */
export async function packagerVersion(packagerPath: string, signal?: AbortSignal): Promise<string> {
  try {
    const result = await runProcess(packagerPath, ['--version'], {
      captureStdout: true,
      timeoutMs: 15_000,
      ...(signal ? { signal } : {}),
    });
    const version = parsePackagerVersion(`${result.stdout}\n${result.stderrTail}`);
    if (version === undefined) throw new Error(`unexpected --version output: ${result.stdout.trim()}`);
    return version;
  } catch (err) {
    if (isCdnError(err, CommonErrorCode.Aborted))
      throw manifestError(ManifestErrorCode.Cancelled, 'cancelled');
    throw manifestError(
      ManifestErrorCode.PackagerNotFound,
      `shaka-packager cannot be run at ${packagerPath} (npm ci installs it; or set SHAKA_PACKAGER_PATH): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Runs shaka-packager; maps failures to the packager error codes with its error lines. */
export async function runPackager(
  packagerPath: string,
  args: readonly string[],
  options: RunPackagerOptions,
): Promise<void> {
  try {
    await runProcess(packagerPath, args, {
      cwd: options.cwd,
      timeoutMs: options.timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    if (!isCdnError(err)) throw err;
    switch (err.code) {
      case CommonErrorCode.Aborted:
        throw manifestError(ManifestErrorCode.Cancelled, 'packaging cancelled', { cause: err });
      case CommonErrorCode.ProcessTimeout:
        throw manifestError(
          ManifestErrorCode.PackagerTimeout,
          `shaka-packager ran longer than ${Math.round(options.timeoutMs / 1000)} s`,
          { cause: err },
        );
      case CommonErrorCode.ProcessSpawn:
        throw manifestError(
          ManifestErrorCode.PackagerNotFound,
          `shaka-packager cannot be started: ${err.message}`,
          {
            cause: err,
          },
        );
      default: {
        const stderr = typeof err.details?.stderrTail === 'string' ? err.details.stderrTail : err.message;
        throw manifestError(
          ManifestErrorCode.PackagerExit,
          `shaka-packager failed:\n${packagerErrorLines(stderr)}`,
          {
            cause: err,
          },
        );
      }
    }
  }
}
