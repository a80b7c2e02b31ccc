/**
 * Protocol version compatibility (RFC 8216 §7; bis "Protocol Version Compatibility"): which
 * EXT-X-VERSION each feature a playlist uses needs.
 */
import type { HlsKey, HlsMasterPlaylist, HlsMediaPlaylist, HlsPlaylist } from './types.js';

export interface VersionRequirement {
  version: number;
  feature: string;
  /** The model element that uses the feature (for its line). */
  element: object;
  /** With `element` the playlist: the tag whose line to report. */
  tag?: string;
}

/** Each feature the playlist uses that needs a version above 1, once (at its first use). */
export function versionRequirements(playlist: HlsPlaylist): VersionRequirement[] {
  const found = playlist.kind === 'master' ? masterRequirements(playlist) : mediaRequirements(playlist);
  const first = new Map<string, VersionRequirement>();
  for (const r of found) if (!first.has(r.feature)) first.set(r.feature, r);
  return [...first.values()];
}

/** The lowest EXT-X-VERSION the playlist's features allow. */
export function minimumHlsVersion(playlist: HlsPlaylist): number {
  return Math.max(1, ...versionRequirements(playlist).map((r) => r.version));
}

function mediaRequirements(m: HlsMediaPlaylist): VersionRequirement[] {
  const out: VersionRequirement[] = [];
  if (m.iFramesOnly) {
    out.push({ version: 4, feature: 'EXT-X-I-FRAMES-ONLY', element: m, tag: 'EXT-X-I-FRAMES-ONLY' });
  }
  if (m.defines.length > 0) out.push(defineRequirement(m));
  for (const s of m.segments) {
    if (!Number.isInteger(s.durationS)) {
      out.push({ version: 3, feature: 'a decimal-floating-point EXTINF duration', element: s });
    }
    if (s.byteRange) out.push({ version: 4, feature: 'EXT-X-BYTERANGE', element: s.byteRange });
    if (s.map) {
      // EXT-X-MAP needs 5 in an I-frames-only playlist, 6 in any other.
      const version = m.iFramesOnly ? 5 : 6;
      out.push({
        version,
        feature: `EXT-X-MAP${m.iFramesOnly ? '' : ' without EXT-X-I-FRAMES-ONLY'}`,
        element: s.map,
      });
    }
    for (const k of s.keys ?? []) out.push(...keyRequirements(k, 'EXT-X-KEY'));
  }
  return out;
}

function masterRequirements(m: HlsMasterPlaylist): VersionRequirement[] {
  const out: VersionRequirement[] = [];
  if (m.defines.length > 0) out.push(defineRequirement(m));
  for (const k of m.sessionKeys) out.push(...keyRequirements(k, 'EXT-X-SESSION-KEY'));
  for (const r of m.renditions) {
    if (r.instreamId?.startsWith('SERVICE')) {
      out.push({ version: 7, feature: 'INSTREAM-ID SERVICE values', element: r });
    }
  }
  return out;
}

function keyRequirements(key: HlsKey, tag: string): VersionRequirement[] {
  const out: VersionRequirement[] = [];
  if (key.iv !== undefined) out.push({ version: 2, feature: `the IV attribute of ${tag}`, element: key });
  if (key.keyFormat !== undefined || key.keyFormatVersions !== undefined) {
    out.push({ version: 5, feature: `KEYFORMAT/KEYFORMATVERSIONS of ${tag}`, element: key });
  }
  return out;
}

function defineRequirement(p: HlsPlaylist): VersionRequirement {
  return { version: 8, feature: 'EXT-X-DEFINE (variable substitution)', element: p.defines[0] ?? p };
}
