/**
 * Validation: parse problems (MANIFEST_ERR_PARSE), then the rules of RFC 8216 / bis a parsed playlist
 * can still break (MANIFEST_ERR_INVALID), each with the line it is about.
 */
import { ManifestErrorCode, type ManifestProblem, problemsError } from '../errors.js';
import { PATHWAY_ID_PATTERN } from '../steering.js';
import { hlsLineOf } from './lines.js';
import { readHlsPlaylist } from './parse.js';
import type {
  HlsIFrameVariant,
  HlsMasterPlaylist,
  HlsMediaPlaylist,
  HlsPlaylist,
  HlsRendition,
  HlsRenditionType,
  HlsVariant,
} from './types.js';
import { versionRequirements } from './version.js';

/** Every problem of the playlist, in line order. Never throws, whatever the input. */
export function validateHlsPlaylist(input: string | Uint8Array): ManifestProblem[] {
  const { playlist, problems } = readHlsPlaylist(input);
  if (!playlist || problems.length > 0) return problems;
  return semanticProblems(playlist);
}

/** Parses and validates; throws problemsError (MANIFEST_ERR_PARSE or MANIFEST_ERR_INVALID) on any problem. */
export function assertValidHlsPlaylist(input: string | Uint8Array): HlsPlaylist {
  const { playlist, problems } = readHlsPlaylist(input);
  const all = playlist && problems.length === 0 ? semanticProblems(playlist) : problems;
  if (!playlist || all.length > 0) throw problemsError('HLS playlist', all);
  return playlist;
}

function semanticProblems(playlist: HlsPlaylist): ManifestProblem[] {
  const out = new Problems();
  if (playlist.kind === 'master') checkMaster(playlist, out);
  else checkMedia(playlist, out);
  checkVersion(playlist, out);
  return out.list.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

class Problems {
  readonly list: ManifestProblem[] = [];
  add(element: object, message: string, tag?: string): void {
    this.list.push({ code: ManifestErrorCode.Invalid, message, line: hlsLineOf(element, tag) ?? 1 });
  }
}

// ---------------------------------------------------------------------------------------------------
// Media playlists

function checkMedia(m: HlsMediaPlaylist, out: Problems): void {
  checkTargetDuration(m, out);
  // decimal-integer (RFC 8216 §4.3.3.2, §4.3.3.3): never negative.
  if (m.mediaSequence !== undefined && m.mediaSequence < 0) {
    out.add(m, `EXT-X-MEDIA-SEQUENCE must not be negative (${m.mediaSequence})`, 'EXT-X-MEDIA-SEQUENCE');
  }
  if (m.discontinuitySequence !== undefined && m.discontinuitySequence < 0) {
    const n = m.discontinuitySequence;
    out.add(m, `EXT-X-DISCONTINUITY-SEQUENCE must not be negative (${n})`, 'EXT-X-DISCONTINUITY-SEQUENCE');
  }
  // A VOD playlist "cannot change" (RFC 8216 §4.3.3.5): it is complete, so it ends with EXT-X-ENDLIST
  // (§4.3.3.4), as Apple's mediastreamvalidator also requires.
  if (m.playlistType === 'VOD' && !m.endList) {
    out.add(m, 'a VOD playlist must end with EXT-X-ENDLIST', 'EXT-X-PLAYLIST-TYPE');
  }
  checkByteRanges(m, out);
}

/**
 * EXT-X-TARGETDURATION is REQUIRED; "the EXTINF duration of each Media Segment ..., when rounded to
 * the nearest integer, MUST be less than or equal to the target duration" (RFC 8216 §4.3.3.1).
 */
function checkTargetDuration(m: HlsMediaPlaylist, out: Problems): void {
  const target = m.targetDurationS;
  if (target === undefined) {
    out.add(m, 'EXT-X-TARGETDURATION is missing');
    return;
  }
  for (const s of m.segments) {
    if (Math.round(s.durationS) > target) {
      out.add(s, `EXTINF ${s.durationS} s rounds to more than EXT-X-TARGETDURATION ${target} s`);
    }
  }
}

/**
 * "If o is not present, a previous Media Segment MUST appear ... and MUST be a sub-range of the same media
 * resource" (RFC 8216 §4.3.2.2).
 */
function checkByteRanges(m: HlsMediaPlaylist, out: Problems): void {
  m.segments.forEach((s, i) => {
    const previous = m.segments[i - 1];
    if (
      s.byteRange &&
      s.byteRange.offset === undefined &&
      (previous?.byteRange === undefined || previous.uri !== s.uri)
    ) {
      out.add(s.byteRange, 'EXT-X-BYTERANGE without an offset must follow a sub-range of the same URI');
    }
  });
}

// ---------------------------------------------------------------------------------------------------
// Master playlists

function checkMaster(m: HlsMasterPlaylist, out: Problems): void {
  for (const v of m.variants) checkVariant(v, 'EXT-X-STREAM-INF', out);
  for (const v of m.iFrameVariants) checkVariant(v, 'EXT-X-I-FRAME-STREAM-INF', out);
  for (const v of m.variants) checkGroupReferences(m, v, out);
  for (const v of m.iFrameVariants) checkGroup(m, v, 'VIDEO', v.videoGroupId, out);
  for (const r of m.renditions) checkRendition(r, out);
  checkGroups(m, out);
  checkSteering(m, out);
  checkPathwayIds(m, out);
  checkSession(m, out);
}

/**
 * BANDWIDTH is REQUIRED, CODECS SHOULD be present (RFC 8216 §4.3.4.2); SCORE is non-negative (bis §4.4.6.2).
 */
function checkVariant(v: HlsIFrameVariant, tag: string, out: Problems): void {
  if (v.bandwidthBps === undefined) out.add(v, `${tag} ${v.uri} has no BANDWIDTH`);
  if (v.codecs === undefined) out.add(v, `${tag} ${v.uri} has no CODECS`);
  if (
    v.bandwidthBps !== undefined &&
    v.averageBandwidthBps !== undefined &&
    v.averageBandwidthBps > v.bandwidthBps
  ) {
    out.add(
      v,
      `${tag} ${v.uri}: AVERAGE-BANDWIDTH ${v.averageBandwidthBps} exceeds BANDWIDTH ${v.bandwidthBps}`,
    );
  }
  if (v.score !== undefined && v.score < 0)
    out.add(v, `${tag} ${v.uri}: SCORE must not be negative (${v.score})`);
}

/**
 * AUDIO, VIDEO, SUBTITLES, CLOSED-CAPTIONS "MUST match the value of the GROUP-ID attribute of an EXT-X-MEDIA
 * tag ... whose TYPE attribute is ..." (RFC 8216 §4.3.4.2).
 */
function checkGroupReferences(m: HlsMasterPlaylist, v: HlsVariant, out: Problems): void {
  checkGroup(m, v, 'AUDIO', v.audioGroupId, out);
  checkGroup(m, v, 'VIDEO', v.videoGroupId, out);
  checkGroup(m, v, 'SUBTITLES', v.subtitlesGroupId, out);
  if (v.closedCaptions !== undefined && v.closedCaptions !== 'NONE') {
    checkGroup(m, v, 'CLOSED-CAPTIONS', v.closedCaptions.groupId, out);
  }
}

function checkGroup(
  m: HlsMasterPlaylist,
  v: HlsIFrameVariant,
  type: HlsRenditionType,
  groupId: string | undefined,
  out: Problems,
): void {
  if (groupId === undefined || m.renditions.some((r) => r.type === type && r.groupId === groupId)) return;
  out.add(v, `${v.uri}: no EXT-X-MEDIA TYPE=${type} defines the group "${groupId}"`);
}

/**
 * GROUP-ID and NAME are REQUIRED; INSTREAM-ID is for CLOSED-CAPTIONS only, which have no URI (RFC 8216
 * §4.3.4.1).
 */
function checkRendition(r: HlsRendition, out: Problems): void {
  const what = `EXT-X-MEDIA TYPE=${r.type}`;
  if (r.groupId === undefined) out.add(r, `${what} has no GROUP-ID`);
  if (r.name === undefined) out.add(r, `${what} has no NAME`);
  if (r.type === 'CLOSED-CAPTIONS') {
    if (r.uri !== undefined) out.add(r, `${what} must not have a URI`);
    if (r.instreamId === undefined) out.add(r, `${what} needs INSTREAM-ID`);
  } else if (r.instreamId !== undefined) out.add(r, `${what} must not have INSTREAM-ID`);
  // "If the AUTOSELECT attribute is present, its value MUST be YES if the value of the DEFAULT attribute is
  // YES."
  if (r.default === true && r.autoselect === false) out.add(r, `${what} has DEFAULT=YES but AUTOSELECT=NO`);
}

/** In a group, at most one DEFAULT=YES and a different NAME for each member (RFC 8216 §4.3.4.1.1). */
function checkGroups(m: HlsMasterPlaylist, out: Problems): void {
  const groups = new Map<string, HlsRendition[]>();
  for (const r of m.renditions) {
    if (r.groupId === undefined) continue;
    const key = `${r.type} ${r.groupId}`;
    const members = groups.get(key);
    if (members) members.push(r);
    else groups.set(key, [r]);
  }
  for (const members of groups.values()) {
    const defaults = members.filter((r) => r.default === true);
    for (const r of defaults.slice(1)) out.add(r, `group "${r.groupId}" has more than one DEFAULT=YES`);
    const names = new Set<string>();
    for (const r of members) {
      if (r.name === undefined) continue;
      if (names.has(r.name)) out.add(r, `group "${r.groupId}" has two renditions named "${r.name}"`);
      names.add(r.name);
    }
  }
}

/**
 * Content steering (bis §4.4.6.6): PATHWAY-ID on variants is meaningful with an
 * EXT-X-CONTENT-STEERING tag, the tag without pathways steers nothing, and its PATHWAY-ID names a
 * pathway the variants use.
 */
function checkSteering(m: HlsMasterPlaylist, out: Problems): void {
  const steered = [...m.variants, ...m.iFrameVariants].filter((v) => v.pathwayId !== undefined);
  const steering = m.contentSteering;
  const first = steered[0];
  if (!steering) {
    if (first) out.add(first, `${first.uri} has PATHWAY-ID but there is no EXT-X-CONTENT-STEERING`);
    return;
  }
  if (!first) {
    out.add(steering, 'EXT-X-CONTENT-STEERING but no variant has a PATHWAY-ID');
    return;
  }
  const id = steering.pathwayId;
  if (id !== undefined && !steered.some((v) => v.pathwayId === id)) {
    out.add(steering, `EXT-X-CONTENT-STEERING PATHWAY-ID "${id}" is the PATHWAY-ID of no variant`);
  }
}

/** PATHWAY-ID values use [a-zA-Z0-9._-] only (bis §4.4.6.2, §4.4.6.6). */
function checkPathwayIds(m: HlsMasterPlaylist, out: Problems): void {
  const bad = (id: string | undefined): boolean => id !== undefined && !PATHWAY_ID_PATTERN.test(id);
  if (m.contentSteering && bad(m.contentSteering.pathwayId)) {
    out.add(m.contentSteering, 'EXT-X-CONTENT-STEERING PATHWAY-ID has characters outside [a-zA-Z0-9._-]');
  }
  for (const v of [...m.variants, ...m.iFrameVariants]) {
    if (bad(v.pathwayId)) out.add(v, `${v.uri}: PATHWAY-ID has characters outside [a-zA-Z0-9._-]`);
  }
}

/**
 * EXT-X-SESSION-DATA has VALUE or URI, not both (RFC 8216 §4.3.4.4); EXT-X-SESSION-KEY is not NONE
 * (§4.3.4.5).
 */
function checkSession(m: HlsMasterPlaylist, out: Problems): void {
  for (const d of m.sessionData) {
    if ((d.value === undefined) === (d.uri === undefined)) {
      out.add(d, `EXT-X-SESSION-DATA "${d.dataId}" needs exactly one of VALUE and URI`);
    }
  }
  for (const k of m.sessionKeys)
    if (k.method === 'NONE') out.add(k, 'EXT-X-SESSION-KEY METHOD must not be NONE');
}

// ---------------------------------------------------------------------------------------------------
// Versions

/**
 * EXT-X-VERSION (1 when absent) must allow every feature used (RFC 8216 §7), and PROGRAM-ID is gone
 * from version 6 on.
 */
function checkVersion(p: HlsPlaylist, out: Problems): void {
  const declared = p.version ?? 1;
  for (const r of versionRequirements(p)) {
    if (r.version > declared) {
      out.add(
        r.element,
        `${r.feature} needs EXT-X-VERSION ${r.version} or more, the playlist has ${declared}`,
        r.tag,
      );
    }
  }
  if (p.kind === 'master' && declared >= 6) {
    const v = [...p.variants, ...p.iFrameVariants].find((x) => x.programId !== undefined);
    if (v) out.add(v, `PROGRAM-ID was removed in protocol version 6 (the playlist has ${declared})`);
  }
}
