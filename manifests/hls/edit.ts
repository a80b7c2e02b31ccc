/** Small helpers for code that reads or edits playlists (the packaging shell, the origin). */
import { ManifestErrorCode, manifestError } from '../errors.js';
import type {
  HlsMasterPlaylist,
  HlsMediaPlaylist,
  HlsRendition,
  HlsRenditionType,
  HlsVariant,
} from './types.js';

/** The sum of the segments' EXTINF durations, in seconds. */
export function hlsTrackDurationS(media: HlsMediaPlaylist): number {
  return media.segments.reduce((sum, s) => sum + s.durationS, 0);
}

/** The variant (EXT-X-STREAM-INF) whose URI is `uri` as written, if any. */
export function findHlsVariant(master: HlsMasterPlaylist, uri: string): HlsVariant | undefined {
  return master.variants.find((v) => v.uri === uri);
}

/**
 * A copy of the master with `patch` applied to the variant whose URI is `uri` (e.g. measured
 * `bandwidthBps`, `averageBandwidthBps`, `score`, `frameRate`). Throws MANIFEST_ERR_INVALID when no
 * variant has that URI.
 */
export function updateHlsVariant(
  master: HlsMasterPlaylist,
  uri: string,
  patch: Partial<Omit<HlsVariant, 'uri'>>,
): HlsMasterPlaylist {
  if (!findHlsVariant(master, uri)) {
    throw manifestError(
      ManifestErrorCode.Invalid,
      `HLS master playlist has no variant ${JSON.stringify(uri)}`,
    );
  }
  return { ...master, variants: master.variants.map((v) => (v.uri === uri ? { ...v, ...patch } : v)) };
}

/** The renditions of one group (EXT-X-MEDIA with this TYPE and GROUP-ID), in playlist order. */
export function hlsRenditionGroup(
  master: HlsMasterPlaylist,
  type: HlsRenditionType,
  groupId: string,
): HlsRendition[] {
  return master.renditions.filter((r) => r.type === type && r.groupId === groupId);
}
