/**
 * Semantic checks of an MPD (MANIFEST_ERR_INVALID), each problem with the element or attribute path.
 * Rules cite 23009-1 (ISO/IEC 23009-1, 5th edition), DASH-IF IOP v4.3 ("IOP") and the content
 * steering specification DASH-IF CTS 001 / ETSI TS 103 998 ("CTS").
 */
import { ManifestErrorCode, problemsError, type ManifestProblem } from '../errors.js';
import { parseMpd, readMpd } from './parse.js';
import {
  periodDurationS,
  mpdDurationS,
  representationsOf,
  templateProblems,
  type ResolvedRepresentation,
} from './segments.js';
import type {
  AdaptationSet,
  BaseUrl,
  Mpd,
  Period,
  RepresentationBase,
  SegmentList,
  SegmentTemplate,
  SegmentTimelineEntry,
} from './types.js';

export const DASH_NAMESPACE = 'urn:mpeg:dash:schema:mpd:2011';

const DESCRIPTOR_NAMES = new Set([
  'FramePacking',
  'AudioChannelConfiguration',
  'ContentProtection',
  'EssentialProperty',
  'SupplementalProperty',
  'Accessibility',
  'Role',
  'Rating',
  'Viewpoint',
]);

/** RFC6838ContentTypeType of the schema (23009-1 Annex B). */
const CONTENT_TYPES = new Set(['text', 'image', 'audio', 'video', 'application', 'font']);

/** xs:dateTime (XML Schema Part 2 §3.2.7). */
const DATE_TIME_RE = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Problems of an MPD: parse problems (MANIFEST_ERR_PARSE) when it does not parse, else semantic
 * problems (MANIFEST_ERR_INVALID). Never throws, whatever the input.
 */
export function validateMpd(input: string | Uint8Array): ManifestProblem[] {
  try {
    const { mpd, problems } = readMpd(input);
    if (problems.length > 0) return problems;
    if (mpd === undefined) return [{ code: ManifestErrorCode.Parse, path: 'MPD', message: 'no MPD element' }];
    return validateMpdModel(mpd);
  } catch (error) {
    // Not expected (the fuzz tests look for it); kept so that validation never throws.
    const message = error instanceof Error ? error.message : String(error);
    return [
      { code: ManifestErrorCode.Parse, path: 'MPD', message: `internal error while validating: ${message}` },
    ];
  }
}

/** Parses and validates; throws CdnError MANIFEST_ERR_PARSE or MANIFEST_ERR_INVALID listing the problems. */
export function assertValidMpd(input: string | Uint8Array): Mpd {
  const mpd = parseMpd(input);
  const problems = validateMpdModel(mpd);
  if (problems.length > 0) throw problemsError('DASH MPD', problems);
  return mpd;
}

class Problems {
  readonly list: ManifestProblem[] = [];

  add(path: string, message: string): void {
    this.list.push({ code: ManifestErrorCode.Invalid, path, message });
  }
}

/** Semantic problems of a model (e.g. after a rewrite). */
export function validateMpdModel(mpd: Mpd): ManifestProblem[] {
  const out = new Problems();
  checkMpd(mpd, out);
  mpd.periods.forEach((period, p) => checkPeriod(period, `MPD/Period[${p}]`, out));
  const resolved = representationsOf(mpd);
  for (const rep of resolved) checkRepresentation(mpd, rep, out);
  checkRepresentationIds(resolved, out);
  checkSteering(mpd, out);
  return out.list;
}

function checkMpd(mpd: Mpd, out: Problems): void {
  // 23009-1 Annex B: the MPD is in the DASH namespace.
  if (mpd.namespaces['xmlns'] !== DASH_NAMESPACE)
    out.add('MPD@xmlns', `the default namespace must be ${DASH_NAMESPACE}`);
  // 23009-1 5.3.1.2 (Table 3): @profiles and @minBufferTime are mandatory.
  if (mpd.profiles === undefined || mpd.profiles.trim() === '')
    out.add('MPD@profiles', 'MPD@profiles is required');
  if (mpd.minBufferTimeS === undefined) out.add('MPD@minBufferTime', 'MPD@minBufferTime is required');
  if ((mpd.type ?? 'static') === 'static') {
    // 23009-1 5.3.1.2: without MPD@minimumUpdatePeriod, the presentation duration must be known.
    if (mpd.minimumUpdatePeriodS === undefined && mpdDurationS(mpd) === undefined) {
      out.add(
        'MPD@mediaPresentationDuration',
        'a static MPD needs @mediaPresentationDuration or Period durations',
      );
    }
  } else if (mpd.availabilityStartTime === undefined) {
    // 23009-1 5.3.1.2: @availabilityStartTime shall be present for type="dynamic".
    out.add('MPD@availabilityStartTime', 'a dynamic MPD needs @availabilityStartTime');
  }
  for (const name of ['availabilityStartTime', 'availabilityEndTime', 'publishTime'] as const) {
    const value = mpd[name];
    if (value !== undefined && !DATE_TIME_RE.test(value.trim()))
      out.add(`MPD@${name}`, `"${value}" is not an xs:dateTime`);
  }
  // 23009-1 Annex B: at least one Period.
  if (mpd.periods.length === 0) out.add('MPD', 'an MPD needs at least one Period');
  checkBaseUrls(mpd.baseUrls, 'MPD', out);
  const ids = new Set<string>();
  mpd.periods.forEach((period, p) => {
    // 23009-1 5.3.2.2: Period@id is unique within the MPD.
    if (period.id === undefined) return;
    if (ids.has(period.id)) out.add(`MPD/Period[${p}]@id`, `Period id ${period.id} is not unique`);
    ids.add(period.id);
  });
}

/** 23009-1 5.6.4 / CTS: BaseURLs of one element are told apart by @serviceLocation. */
function checkBaseUrls(urls: readonly BaseUrl[], path: string, out: Problems): void {
  const seen = new Set<string>();
  urls.forEach((u, i) => {
    if (u.serviceLocation === undefined) return;
    if (seen.has(u.serviceLocation)) {
      out.add(
        `${path}/BaseURL[${i}]@serviceLocation`,
        `serviceLocation ${u.serviceLocation} is used twice here`,
      );
    }
    seen.add(u.serviceLocation);
  });
}

function checkPeriod(period: Period, path: string, out: Problems): void {
  checkBaseUrls(period.baseUrls, path, out);
  checkSegmentInfo(period, path, out);
  const ids = new Set<string>();
  period.adaptationSets.forEach((set, a) => {
    const setPath = `${path}/AdaptationSet[${a}]`;
    if (set.id !== undefined) {
      // 23009-1 5.3.3.2: AdaptationSet@id is an unsigned integer, unique within the Period.
      if (!/^\d+$/.test(set.id.trim()))
        out.add(`${setPath}@id`, `AdaptationSet id "${set.id}" is not an unsigned integer`);
      else if (ids.has(set.id.trim()))
        out.add(`${setPath}@id`, `AdaptationSet id ${set.id} is not unique in the Period`);
      ids.add(set.id.trim());
    }
    checkAdaptationSet(set, setPath, out);
  });
}

function isVideoSet(set: AdaptationSet): boolean {
  if (set.contentType !== undefined) return set.contentType === 'video';
  const mimeTypes = [set.mimeType, ...set.representations.map((r) => r.mimeType)];
  return mimeTypes.some((m) => m?.startsWith('video/') === true);
}

function checkAdaptationSet(set: AdaptationSet, path: string, out: Problems): void {
  if (set.contentType !== undefined && !CONTENT_TYPES.has(set.contentType)) {
    out.add(
      `${path}@contentType`,
      `contentType "${set.contentType}" is not one of ${[...CONTENT_TYPES].join(', ')}`,
    );
  }
  // IOP 3.2.2 / 23009-1 5.3.3.2: a switchable video ladder declares aligned segments (or subsegments).
  const declared = (v: boolean | number | undefined): boolean => v !== undefined && v !== false && v !== 0;
  if (
    isVideoSet(set) &&
    set.representations.length > 1 &&
    !declared(set.segmentAlignment) &&
    !declared(set.subsegmentAlignment)
  ) {
    out.add(
      `${path}@segmentAlignment`,
      'a video AdaptationSet with several Representations must declare segmentAlignment',
    );
  }
  checkCommon(set, path, out);
  set.representations.forEach((rep, r) => checkCommon(rep, `${path}/Representation[${r}]`, out));
}

function checkCommon(owner: RepresentationBase, path: string, out: Problems): void {
  checkBaseUrls(owner.baseUrls, path, out);
  checkSegmentInfo(owner, path, out);
  // 23009-1 5.8.2 (DescriptorType): @schemeIdUri is required. Such descriptors stay extra elements.
  const typedCounts = new Map<string, number>();
  for (const d of owner.descriptors) typedCounts.set(d.element, (typedCounts.get(d.element) ?? 0) + 1);
  const extraCounts = new Map<string, number>();
  for (const el of owner.extraElements ?? []) {
    if (!DESCRIPTOR_NAMES.has(el.name)) continue;
    const index = (typedCounts.get(el.name) ?? 0) + (extraCounts.get(el.name) ?? 0);
    extraCounts.set(el.name, (extraCounts.get(el.name) ?? 0) + 1);
    if (!Object.hasOwn(el.attributes, 'schemeIdUri')) {
      out.add(`${path}/${el.name}[${index}]@schemeIdUri`, `${el.name} needs @schemeIdUri`);
    }
  }
}

function checkSegmentInfo(
  owner: { segmentTemplate?: SegmentTemplate; segmentList?: SegmentList },
  path: string,
  out: Problems,
): void {
  if (owner.segmentTemplate) checkTemplate(owner.segmentTemplate, `${path}/SegmentTemplate[0]`, out);
  if (owner.segmentList) checkMultipleSegmentBase(owner.segmentList, `${path}/SegmentList[0]`, out);
}

function checkTemplate(t: SegmentTemplate, path: string, out: Problems): void {
  // 23009-1 5.3.9.4.4: identifiers of Table 16, well formed.
  for (const attribute of ['media', 'initialization', 'index', 'bitstreamSwitching'] as const) {
    const value = t[attribute];
    if (value === undefined) continue;
    for (const message of templateProblems(value, attribute)) out.add(`${path}@${attribute}`, message);
  }
  checkMultipleSegmentBase(t, path, out);
}

function checkMultipleSegmentBase(
  info: { timescale?: number; durationTicks?: number; timeline?: SegmentTimelineEntry[] },
  path: string,
  out: Problems,
): void {
  if (info.timescale === 0) out.add(`${path}@timescale`, '@timescale must be > 0');
  if (info.durationTicks === 0) out.add(`${path}@duration`, '@duration must be > 0');
  // 23009-1 5.3.9.2: if SegmentTimeline is present, @duration shall not be.
  if (info.timeline !== undefined && info.durationTicks !== undefined) {
    out.add(`${path}@duration`, '@duration and a SegmentTimeline cannot both be given');
  }
  if (info.timeline) checkTimeline(info.timeline, `${path}/SegmentTimeline[0]`, out);
}

/** 23009-1 5.3.9.6: d > 0, r ≥ -1, segments do not overlap (t never goes back), r=-1 only before a t or last. */
function checkTimeline(entries: readonly SegmentTimelineEntry[], path: string, out: Problems): void {
  let end: number | undefined = 0;
  entries.forEach((s, i) => {
    const sPath = `${path}/S[${i}]`;
    if (!(s.d > 0)) out.add(`${sPath}@d`, 'S@d must be > 0');
    const r = s.r ?? 0;
    if (r < -1) out.add(`${sPath}@r`, 'S@r must be -1 or more');
    if (s.t !== undefined && end !== undefined && s.t < end) {
      out.add(`${sPath}@t`, `S@t=${s.t} starts before the previous segment ends (${end})`);
    }
    if (r === -1 && i < entries.length - 1 && entries[i + 1]?.t === undefined) {
      out.add(`${sPath}@r`, 'S@r=-1 must be followed by an S with @t, or be the last S');
    }
    const start = s.t ?? end;
    end = start === undefined || r < 0 ? undefined : start + s.d * (r + 1);
  });
}

function checkRepresentation(mpd: Mpd, rep: ResolvedRepresentation, out: Problems): void {
  const path = rep.path;
  // 23009-1 5.3.5.2: @id (no whitespace) and @bandwidth are mandatory.
  if (rep.id === undefined) out.add(`${path}@id`, 'Representation@id is required');
  else if (/[\s\p{Z}]/u.test(rep.id) || rep.id === '')
    out.add(`${path}@id`, `Representation id "${rep.id}" must be non-empty without whitespace`);
  if (rep.bandwidthBps === undefined) out.add(`${path}@bandwidth`, 'Representation@bandwidth is required');
  // 23009-1 5.3.7.2: @mimeType on the Representation or inherited; IOP 3.2.4: @codecs likewise.
  if (rep.mimeType === undefined)
    out.add(`${path}@mimeType`, 'no @mimeType on the Representation or its AdaptationSet');
  if (rep.codecs === undefined)
    out.add(`${path}@codecs`, 'no @codecs on the Representation or its AdaptationSet');
  // IOP 3.2.4: video Representations carry their picture size.
  if (rep.contentType === 'video') {
    if (rep.width === undefined) out.add(`${path}@width`, 'a video Representation needs @width');
    if (rep.height === undefined) out.add(`${path}@height`, 'a video Representation needs @height');
  }
  checkAddressing(mpd, rep, out);
}

/** 23009-1 5.3.9.1 and 5.3.9.4.4: segment information present (inherited counts) and consistent. */
function checkAddressing(mpd: Mpd, rep: ResolvedRepresentation, out: Problems): void {
  const a = rep.addressing;
  if (a.kind === 'none') {
    // Without segment information a Representation is one segment at its BaseURL (23009-1 5.3.9.1).
    if (rep.representation.baseUrls.length === 0) {
      out.add(
        rep.path,
        'no segment information (SegmentTemplate, SegmentList or SegmentBase) and no BaseURL',
      );
    }
    return;
  }
  if (a.kind !== 'template') return;
  const t = a.template;
  if (t.media === undefined) {
    out.add(rep.path, 'its SegmentTemplate has no @media');
    return;
  }
  if (t.media.includes('$Time') && t.timeline === undefined) {
    out.add(rep.path, '$Time$ in @media needs a SegmentTimeline');
  }
  if (t.timeline === undefined && t.durationTicks === undefined) {
    if (periodDurationS(mpd, rep.periodIndex) === undefined || /\$(Number|Time)/.test(t.media)) {
      out.add(rep.path, 'its SegmentTemplate has neither a SegmentTimeline nor @duration');
    }
  }
}

/** 23009-1 5.3.5.2: Representation@id is unique within the Period. */
function checkRepresentationIds(reps: readonly ResolvedRepresentation[], out: Problems): void {
  const seen = new Set<string>();
  for (const rep of reps) {
    if (rep.id === undefined) continue;
    const key = `${rep.periodIndex}\u0000${rep.id}`;
    if (seen.has(key)) out.add(`${rep.path}@id`, `Representation id ${rep.id} is not unique in the Period`);
    seen.add(key);
  }
}

function allServiceLocations(mpd: Mpd): Set<string> {
  const levels: Array<{ baseUrls: BaseUrl[] }> = [mpd];
  for (const period of mpd.periods) {
    levels.push(period);
    for (const set of period.adaptationSets) levels.push(set, ...set.representations);
  }
  return new Set(
    levels.flatMap((l) =>
      l.baseUrls.flatMap((u) => (u.serviceLocation === undefined ? [] : [u.serviceLocation])),
    ),
  );
}

/** CTS: ContentSteering names existing serviceLocations, and the MPD-level BaseURLs it steers carry one. */
function checkSteering(mpd: Mpd, out: Problems): void {
  const steering = mpd.contentSteering;
  if (steering === undefined) return;
  const path = 'MPD/ContentSteering[0]';
  if (steering.serverUrl.trim() === '')
    out.add(path, 'ContentSteering needs the steering server URL as its text');
  const locations = allServiceLocations(mpd);
  if (locations.size === 0) out.add(path, 'no BaseURL has a serviceLocation to steer between');
  for (const id of (steering.defaultServiceLocation ?? '').split(/\s+/).filter((s) => s !== '')) {
    if (!locations.has(id)) out.add(`${path}@defaultServiceLocation`, `no BaseURL has serviceLocation ${id}`);
  }
  mpd.baseUrls.forEach((u, i) => {
    if (u.serviceLocation === undefined) {
      out.add(
        `MPD/BaseURL[${i}]@serviceLocation`,
        'with ContentSteering, every MPD-level BaseURL needs a serviceLocation',
      );
    }
  });
}
