/**
 * Reading an MPD the way a player does: Period timing, inheritance of the common attributes and of
 * segment information (23009-1 5.3.7, 5.3.9.1), template URLs (5.3.9.4.4) and the list of segments
 * of a Representation (SegmentTimeline 5.3.9.6, @duration 5.3.9.2, SegmentList 5.3.9.3,
 * SegmentBase 5.3.9.2).
 */
import { ManifestErrorCode, manifestError } from '../errors.js';
import type {
  AdaptationSet,
  BaseUrl,
  Descriptor,
  Mpd,
  Period,
  Representation,
  SegmentBase,
  SegmentList,
  SegmentTemplate,
  SegmentTimelineEntry,
} from './types.js';
import { opt } from './util.js';

/**
 * Most segments one Representation may expand to: 10 days of 1-second segments. Guards against
 * pathological repeat counts (`r="9007199254740991"`) in manifests we did not write.
 */
export const MAX_SEGMENTS = 864_000;

interface PeriodTiming {
  startS?: number;
  durationS?: number;
}

/**
 * Start and duration of every Period (23009-1 5.3.2.1): a Period without @start starts where the
 * previous one ends (the first of a static MPD at 0); a Period without @duration lasts until the next
 * one starts, the last one until the end of the presentation. Computed in one pass (no recursion, so
 * any number of Periods is fine).
 */
function periodTimings(mpd: Mpd): PeriodTiming[] {
  const starts: Array<number | undefined> = [];
  let previousEnd = (mpd.type ?? 'static') === 'static' ? 0 : undefined;
  for (const period of mpd.periods) {
    const start = period.startS ?? previousEnd;
    starts.push(start);
    previousEnd =
      start !== undefined && period.durationS !== undefined ? start + period.durationS : undefined;
  }
  return mpd.periods.map((period, i) => {
    const startS = starts[i];
    let durationS = period.durationS;
    if (durationS === undefined && startS !== undefined) {
      const nextStart = starts[i + 1];
      if (nextStart !== undefined) durationS = nextStart - startS;
      else if (i === mpd.periods.length - 1 && mpd.mediaPresentationDurationS !== undefined) {
        durationS = mpd.mediaPresentationDurationS - startS;
      }
    }
    return { ...opt('startS', startS), ...opt('durationS', durationS) };
  });
}

/** Start of a Period in seconds from the start of the presentation, when known. */
export function periodStartS(mpd: Mpd, periodIndex: number): number | undefined {
  return periodTimings(mpd)[periodIndex]?.startS;
}

/** Duration of a Period: its @duration, else up to the next Period's start or the presentation's end. */
export function periodDurationS(mpd: Mpd, periodIndex: number): number | undefined {
  return periodTimings(mpd)[periodIndex]?.durationS;
}

/** Duration of the presentation in seconds: @mediaPresentationDuration, else the end of the last Period. */
export function mpdDurationS(mpd: Mpd): number | undefined {
  if (mpd.mediaPresentationDurationS !== undefined) return mpd.mediaPresentationDurationS;
  const last = periodTimings(mpd).at(-1);
  const duration = mpd.periods.at(-1)?.durationS;
  return last?.startS !== undefined && duration !== undefined ? last.startS + duration : undefined;
}

/** How the segments of a Representation are addressed, after inheritance (template over list over base). */
export type Addressing =
  | { kind: 'template'; template: SegmentTemplate }
  | { kind: 'list'; list: SegmentList }
  | { kind: 'base'; base: SegmentBase }
  | { kind: 'none' };

/** A Representation with everything it inherits from its AdaptationSet and Period. */
export interface ResolvedRepresentation {
  periodIndex: number;
  adaptationSetIndex: number;
  representationIndex: number;
  /** `MPD/Period[p]/AdaptationSet[a]/Representation[r]`. */
  path: string;
  /** The model objects (not copies), e.g. to find the Representation to replace in a rewrite. */
  period: Period;
  adaptationSet: AdaptationSet;
  representation: Representation;
  id?: string;
  bandwidthBps?: number;
  qualityRanking?: number;
  /** AdaptationSet@contentType, else the top-level type of the mimeType (`video/mp4` → `video`). */
  contentType?: string;
  mimeType?: string;
  codecs?: string;
  width?: number;
  height?: number;
  frameRate?: string;
  sar?: string;
  audioSamplingRate?: string;
  startWithSAP?: number;
  lang?: string;
  /** The AdaptationSet's descriptors, then the Representation's. */
  descriptors: Descriptor[];
  addressing: Addressing;
}

/** Every Representation of every Period, with inheritance resolved, in document order. */
export function representationsOf(mpd: Mpd): ResolvedRepresentation[] {
  return mpd.periods.flatMap((period, p) =>
    period.adaptationSets.flatMap((set, a) =>
      set.representations.map((rep, r) => resolveRepresentation(period, set, rep, [p, a, r])),
    ),
  );
}

function resolveRepresentation(
  period: Period,
  set: AdaptationSet,
  rep: Representation,
  [p, a, r]: [number, number, number],
): ResolvedRepresentation {
  const mimeType = rep.mimeType ?? set.mimeType;
  return {
    periodIndex: p,
    adaptationSetIndex: a,
    representationIndex: r,
    path: `MPD/Period[${p}]/AdaptationSet[${a}]/Representation[${r}]`,
    period,
    adaptationSet: set,
    representation: rep,
    ...opt('id', rep.id),
    ...opt('bandwidthBps', rep.bandwidthBps),
    ...opt('qualityRanking', rep.qualityRanking),
    ...opt('contentType', set.contentType ?? mimeType?.split('/')[0]),
    ...opt('mimeType', mimeType),
    ...opt('codecs', rep.codecs ?? set.codecs),
    ...opt('width', rep.width ?? set.width),
    ...opt('height', rep.height ?? set.height),
    ...opt('frameRate', rep.frameRate ?? set.frameRate),
    ...opt('sar', rep.sar ?? set.sar),
    ...opt('audioSamplingRate', rep.audioSamplingRate ?? set.audioSamplingRate),
    ...opt('startWithSAP', rep.startWithSAP ?? set.startWithSAP),
    ...opt('lang', set.lang),
    descriptors: [...set.descriptors, ...rep.descriptors],
    addressing: resolveAddressing([period, set, rep]),
  };
}

type SegmentLevel = {
  segmentBase?: SegmentBase;
  segmentList?: SegmentList;
  segmentTemplate?: SegmentTemplate;
};

/**
 * Segment information is inherited attribute by attribute from Period to AdaptationSet to
 * Representation (23009-1 5.3.9.1); a SegmentTimeline at a lower level replaces a higher one.
 */
export function resolveAddressing(levels: readonly SegmentLevel[]): Addressing {
  const template = mergeLevels(levels.map((l) => l.segmentTemplate));
  if (template) return { kind: 'template', template };
  const list = mergeLevels(levels.map((l) => l.segmentList));
  if (list) return { kind: 'list', list };
  const base = mergeLevels(levels.map((l) => l.segmentBase));
  if (base) return { kind: 'base', base };
  return { kind: 'none' };
}

function mergeLevels<T extends { extraAttributes?: Record<string, string> }>(
  levels: ReadonlyArray<T | undefined>,
): T | undefined {
  let merged: T | undefined;
  for (const level of levels) {
    if (level === undefined) continue;
    if (merged === undefined) {
      merged = level;
      continue;
    }
    const extraAttributes = { ...merged.extraAttributes, ...level.extraAttributes };
    merged = {
      ...merged,
      ...level,
      ...opt('extraAttributes', Object.keys(extraAttributes).length ? extraAttributes : undefined),
    };
  }
  return merged;
}

/** Values for the template identifiers of 23009-1 5.3.9.4.4 (Table 16). */
export interface TemplateValues {
  RepresentationID?: string;
  Number?: number;
  Bandwidth?: number;
  Time?: number;
  SubNumber?: number;
}

const IDENTIFIER_RE = /^(RepresentationID|Number|Bandwidth|Time|SubNumber)(?:%0(\d{1,2})d)?$/;

/**
 * Substitutes `$RepresentationID$`, `$Number$`, `$Bandwidth$`, `$Time$`, `$SubNumber$` (with an
 * optional `%0<width>d` zero padding) and `$$`. Identifiers without a value are left as written.
 */
export function fillTemplate(template: string, values: TemplateValues): string {
  return template.replace(/\$([^$]*)\$/g, (whole, inner: string) => {
    if (inner === '') return '$';
    const m = IDENTIFIER_RE.exec(inner);
    const name = m?.[1] as keyof TemplateValues | undefined;
    if (m === null || name === undefined) return whole;
    const value = values[name];
    if (value === undefined) return whole;
    const text = String(value);
    const width = m[2] === undefined ? 0 : Number(m[2]);
    return typeof value === 'number' ? text.padStart(width, '0') : text;
  });
}

/**
 * What is wrong with a template attribute, per 23009-1 5.3.9.4.4: only the Table 16 identifiers,
 * `%0<width>d` only on the numeric ones, `$` paired, `$Number$` and `$Time$` not both, and no
 * segment-specific identifier in @initialization.
 */
export function templateProblems(
  template: string,
  attribute: 'media' | 'initialization' | 'index' | 'bitstreamSwitching',
): string[] {
  const problems: string[] = [];
  const used = new Set<string>();
  const rest = template.replace(/\$([^$]*)\$/g, (_whole, inner: string) => {
    if (inner === '') return '';
    const m = IDENTIFIER_RE.exec(inner);
    if (m === null || m[1] === undefined) {
      problems.push(`$${inner}$ is not a template identifier`);
    } else if (m[1] === 'RepresentationID' && m[2] !== undefined) {
      problems.push('$RepresentationID$ takes no format tag');
    } else {
      used.add(m[1]);
    }
    return '';
  });
  if (rest.includes('$')) problems.push("a '$' is not paired (write $$ for a literal dollar)");
  if (used.has('Number') && used.has('Time')) problems.push('$Number$ and $Time$ cannot both be used');
  if (attribute !== 'media' && attribute !== 'index') {
    for (const id of ['Number', 'Time', 'SubNumber']) {
      if (used.has(id)) problems.push(`$${id}$ cannot be used in @${attribute}`);
    }
  }
  return problems;
}

/** One media segment of a Representation. */
export interface MediaSegment {
  /** Segment number ($Number$): startNumber (default 1) for the first. */
  number: number;
  /** Start in seconds, on the Period's timeline (presentationTimeOffset removed). */
  startS: number;
  durationS: number;
  /** The URL with template identifiers filled, relative as written (not resolved against BaseURL). */
  mediaUrl: string;
  mediaRange?: string;
  /** Start ($Time$) and duration in timescale ticks, for templates and lists. */
  timeTicks?: number;
  durationTicks?: number;
  /** `mediaUrl` resolved against the BaseURL chain, when that chain leads to an absolute URL. */
  resolvedMediaUrl?: string;
}

export interface RepresentationSegments {
  /** Initialization segment URL, identifiers filled, relative as written; absent when there is none. */
  initUrl?: string;
  initRange?: string;
  resolvedInitUrl?: string;
  /** The BaseURL chain resolved (manifest URL, MPD, Period, AdaptationSet, Representation), when absolute. */
  baseUrl?: string;
  segments: MediaSegment[];
}

export interface SegmentOptions {
  /** URL the MPD was loaded from: the base for relative BaseURLs. */
  manifestUrl?: string;
  /** Pick BaseURLs with this serviceLocation where a level has several (else the first). */
  serviceLocation?: string;
}

/**
 * The segments of one Representation: give the ResolvedRepresentation from `representationsOf`,
 * or the Period index and the Representation (object or id).
 */
export function segmentsOf(
  mpd: Mpd,
  rep: ResolvedRepresentation,
  options?: SegmentOptions,
): RepresentationSegments;
export function segmentsOf(
  mpd: Mpd,
  periodIndex: number,
  representation: Representation | string,
  options?: SegmentOptions,
): RepresentationSegments;
export function segmentsOf(
  mpd: Mpd,
  repOrPeriod: ResolvedRepresentation | number,
  repOrOptions?: Representation | string | SegmentOptions,
  maybeOptions?: SegmentOptions,
): RepresentationSegments {
  const resolved =
    typeof repOrPeriod === 'number'
      ? findRepresentation(mpd, repOrPeriod, repOrOptions as Representation | string)
      : repOrPeriod;
  const options = (typeof repOrPeriod === 'number' ? maybeOptions : (repOrOptions as SegmentOptions)) ?? {};
  const baseUrl = resolveBaseUrl(mpd, resolved, options);
  const expanded = expand(mpd, resolved);
  const resolve = (url: string): { resolved?: string } => {
    const absolute = baseUrl === undefined ? undefined : resolveUrl(url, baseUrl);
    return absolute === undefined ? {} : { resolved: absolute };
  };
  return {
    ...opt('initUrl', expanded.initUrl),
    ...opt('initRange', expanded.initRange),
    ...opt(
      'resolvedInitUrl',
      expanded.initUrl === undefined ? undefined : resolve(expanded.initUrl).resolved,
    ),
    ...opt('baseUrl', baseUrl),
    segments: expanded.segments.map((s) => ({
      ...s,
      ...opt('resolvedMediaUrl', resolve(s.mediaUrl).resolved),
    })),
  };
}

function findRepresentation(
  mpd: Mpd,
  periodIndex: number,
  rep: Representation | string,
): ResolvedRepresentation {
  const found = representationsOf(mpd).find(
    (r) =>
      r.periodIndex === periodIndex && (typeof rep === 'string' ? r.id === rep : r.representation === rep),
  );
  if (found === undefined) {
    const what = typeof rep === 'string' ? `id ${rep}` : 'the given object';
    throw manifestError(
      ManifestErrorCode.InvalidOptions,
      `no Representation with ${what} in MPD/Period[${periodIndex}]`,
    );
  }
  return found;
}

/** RFC 3986 resolution, or undefined when the base is not an absolute URL or the reference is invalid. */
export function resolveUrl(reference: string, base: string | undefined): string | undefined {
  try {
    return new URL(reference, base).href;
  } catch {
    return undefined;
  }
}

function pickBaseUrl(urls: readonly BaseUrl[], serviceLocation: string | undefined): BaseUrl | undefined {
  return urls.find((u) => serviceLocation !== undefined && u.serviceLocation === serviceLocation) ?? urls[0];
}

/** BaseURL chain (23009-1 5.6.4): each level resolved against the one above, starting at the manifest URL. */
function resolveBaseUrl(mpd: Mpd, rep: ResolvedRepresentation, options: SegmentOptions): string | undefined {
  let base = options.manifestUrl;
  for (const level of [mpd, rep.period, rep.adaptationSet, rep.representation]) {
    const chosen = pickBaseUrl(level.baseUrls, options.serviceLocation);
    if (chosen === undefined) continue;
    base = resolveUrl(chosen.url, base);
  }
  return base;
}

interface Expanded {
  initUrl?: string;
  initRange?: string;
  segments: Array<Omit<MediaSegment, 'resolvedMediaUrl'>>;
}

function expand(mpd: Mpd, rep: ResolvedRepresentation): Expanded {
  const a = rep.addressing;
  switch (a.kind) {
    case 'template':
      return expandTemplate(mpd, rep, a.template);
    case 'list':
      return expandList(mpd, rep, a.list);
    case 'base':
      return expandBase(mpd, rep, a.base);
    case 'none':
      return expandBase(mpd, rep, {});
  }
}

interface Slot {
  number: number;
  timeTicks: number;
  durationTicks: number;
}

function periodEndTicks(
  mpd: Mpd,
  rep: ResolvedRepresentation,
  timescale: number,
  ptoTicks: number,
): number | undefined {
  const durationS = periodDurationS(mpd, rep.periodIndex);
  return durationS === undefined ? undefined : ptoTicks + durationS * timescale;
}

function fail(path: string, message: string): never {
  throw manifestError(ManifestErrorCode.Invalid, `${path}: ${message}`);
}

/** Segments of a SegmentTimeline (23009-1 5.3.9.6): `t` defaults to the previous end (0 first), r=-1 runs to the next t or the end. */
function timelineSlots(
  entries: readonly SegmentTimelineEntry[],
  startNumber: number,
  endTicks: number | undefined,
  path: string,
): Slot[] {
  const slots: Slot[] = [];
  let time = 0;
  entries.forEach((s, i) => {
    if (!(s.d > 0)) fail(path, `S[${i}]@d must be > 0`);
    time = s.t ?? time;
    const next = entries[i + 1]?.t ?? endTicks;
    let count = (s.r ?? 0) + 1;
    if ((s.r ?? 0) < 0) {
      if (next === undefined) fail(path, `S[${i}]@r=-1 needs a following S@t or a known Period end`);
      count = Math.max(0, Math.ceil((next - time) / s.d));
    }
    if (slots.length + count > MAX_SEGMENTS) fail(path, `more than ${MAX_SEGMENTS} segments`);
    for (let k = 0; k < count; k++) {
      slots.push({ number: startNumber + slots.length, timeTicks: time, durationTicks: s.d });
      time += s.d;
    }
  });
  return slots;
}

/** Segments of a constant @duration (23009-1 5.3.9.2): as many as fill the Period, the last one cut at its end. */
function durationSlots(
  durationTicks: number,
  startNumber: number,
  ptoTicks: number,
  endTicks: number | undefined,
  endNumber: number | undefined,
  path: string,
): Slot[] {
  if (!(durationTicks > 0)) fail(path, '@duration must be > 0');
  let count: number;
  if (endNumber !== undefined) count = endNumber - startNumber + 1;
  else if (endTicks !== undefined) count = Math.ceil((endTicks - ptoTicks) / durationTicks - 1e-9);
  else fail(path, '@duration needs a known Period duration (or @endNumber)');
  if (count > MAX_SEGMENTS) fail(path, `more than ${MAX_SEGMENTS} segments`);
  const slots: Slot[] = [];
  for (let k = 0; k < Math.max(0, count); k++) {
    const timeTicks = ptoTicks + k * durationTicks;
    const left = endTicks === undefined ? durationTicks : Math.min(durationTicks, endTicks - timeTicks);
    slots.push({ number: startNumber + k, timeTicks, durationTicks: left });
  }
  return slots;
}

function slotsOf(
  mpd: Mpd,
  rep: ResolvedRepresentation,
  info: {
    timescale?: number;
    durationTicks?: number;
    startNumber?: number;
    presentationTimeOffsetTicks?: number;
    timeline?: SegmentTimelineEntry[];
  },
  endNumber: number | undefined,
  path: string,
): { slots: Slot[]; timescale: number; ptoTicks: number } | undefined {
  const timescale = info.timescale ?? 1;
  if (!(timescale > 0)) fail(path, '@timescale must be > 0');
  const ptoTicks = info.presentationTimeOffsetTicks ?? 0;
  const startNumber = info.startNumber ?? 1;
  const endTicks = periodEndTicks(mpd, rep, timescale, ptoTicks);
  if (info.timeline !== undefined)
    return { slots: timelineSlots(info.timeline, startNumber, endTicks, path), timescale, ptoTicks };
  if (info.durationTicks !== undefined) {
    return {
      slots: durationSlots(info.durationTicks, startNumber, ptoTicks, endTicks, endNumber, path),
      timescale,
      ptoTicks,
    };
  }
  return undefined;
}

function expandTemplate(mpd: Mpd, rep: ResolvedRepresentation, t: SegmentTemplate): Expanded {
  const path = `${rep.path}/SegmentTemplate`;
  const values = { ...opt('RepresentationID', rep.id), ...opt('Bandwidth', rep.bandwidthBps) };
  const initUrl = t.initialization === undefined ? undefined : fillTemplate(t.initialization, values);
  const timed = slotsOf(mpd, rep, t, t.endNumber, path);
  if (t.media === undefined || timed === undefined) {
    if (t.media !== undefined) fail(path, 'needs a SegmentTimeline or @duration');
    return { ...opt('initUrl', initUrl), segments: [] };
  }
  const media = t.media;
  const segments = timed.slots.map((slot) => ({
    number: slot.number,
    startS: (slot.timeTicks - timed.ptoTicks) / timed.timescale,
    durationS: slot.durationTicks / timed.timescale,
    mediaUrl: fillTemplate(media, { ...values, Number: slot.number, Time: slot.timeTicks }),
    timeTicks: slot.timeTicks,
    durationTicks: slot.durationTicks,
  }));
  return { ...opt('initUrl', initUrl), segments };
}

function expandList(mpd: Mpd, rep: ResolvedRepresentation, l: SegmentList): Expanded {
  const path = `${rep.path}/SegmentList`;
  const timed = slotsOf(mpd, rep, l, (l.startNumber ?? 1) + l.segmentUrls.length - 1, path);
  const wholePeriodS = periodDurationS(mpd, rep.periodIndex);
  const segments = l.segmentUrls.map((u, i) => {
    const slot = timed?.slots[i];
    const timing =
      slot === undefined || timed === undefined
        ? {
            startS: 0,
            durationS: l.segmentUrls.length === 1 && wholePeriodS !== undefined ? wholePeriodS : NaN,
          }
        : {
            startS: (slot.timeTicks - timed.ptoTicks) / timed.timescale,
            durationS: slot.durationTicks / timed.timescale,
            timeTicks: slot.timeTicks,
            durationTicks: slot.durationTicks,
          };
    if (Number.isNaN(timing.durationS)) fail(path, 'needs a SegmentTimeline or @duration for its segments');
    return {
      number: (l.startNumber ?? 1) + i,
      ...timing,
      mediaUrl: u.media ?? '',
      ...opt('mediaRange', u.mediaRange),
    };
  });
  return {
    ...opt('initUrl', l.initialization?.sourceUrl),
    ...opt('initRange', l.initialization?.range),
    segments,
  };
}

/** One segment: the resource at the BaseURL itself (an empty relative reference), for the whole Period. */
function expandBase(mpd: Mpd, rep: ResolvedRepresentation, b: SegmentBase): Expanded {
  const durationS = periodDurationS(mpd, rep.periodIndex);
  if (durationS === undefined) fail(rep.path, 'the Period duration is unknown, so is its single segment');
  const init = b.initialization;
  const initUrl = init === undefined ? undefined : (init.sourceUrl ?? '');
  return {
    ...opt('initUrl', initUrl),
    ...opt('initRange', init?.range),
    segments: [{ number: 1, startS: 0, durationS, mediaUrl: '' }],
  };
}
