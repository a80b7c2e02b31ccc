/**
 * Rewriting an MPD for delivery from our edges: the BaseURL of the chosen edge, URL tokens on every
 * segment request, and content steering between edges (DASH-IF CTS 001 / ETSI TS 103 998). Pure:
 * returns a new model and never changes its input.
 */
import { ManifestErrorCode, manifestError } from '../errors.js';
import { representationsOf, resolveUrl } from './segments.js';
import type {
  AdaptationSet,
  BaseUrl,
  Mpd,
  Period,
  Representation,
  SegmentBase,
  SegmentList,
  SegmentTemplate,
  UrlRef,
} from './types.js';
import { opt } from './util.js';

export interface SteeringLocation {
  /** BaseURL@serviceLocation: non-empty, no whitespace. */
  id: string;
  /** Absolute URL of the title directory at this location. */
  baseUrl: string;
}

export interface SteeringOptions {
  /** The steering server URL (ContentSteering text), kept as given, its query included. */
  serverUri: string;
  /** ContentSteering@queryBeforeStart; written explicitly, default false. */
  queryBeforeStart?: boolean;
  locations: SteeringLocation[];
  /** ContentSteering@defaultServiceLocation; default: the first location. */
  defaultLocationIds?: string[];
}

export interface RewriteOptions {
  /** Absolute URL of the title directory on the chosen edge; a trailing `/` is added when missing. */
  baseUrl?: string;
  /** URL token parameters added to every segment and initialization URL (replacing same-name ones). */
  query?: Record<string, string>;
  /** One MPD-level BaseURL per location plus ContentSteering; cannot be combined with `baseUrl`. */
  steering?: SteeringOptions;
}

function invalid(message: string): never {
  throw manifestError(ManifestErrorCode.Invalid, `rewriteMpd: ${message}`);
}

/**
 * A copy of the MPD rewritten for delivery:
 * - `baseUrl`: becomes the MPD-level BaseURL. Existing relative MPD-level BaseURLs are resolved
 *   against it (keeping their attributes); absolute ones are dropped, since delivery now goes through
 *   our edge. Lower-level BaseURLs are relative to the MPD-level one and stay as they are.
 * - `steering`: the same, once per location, each BaseURL tagged with `serviceLocation`, and a
 *   ContentSteering element replacing any existing one.
 * - `query`: appended to SegmentTemplate @media, @initialization, @index and @bitstreamSwitching
 *   at every level, to SegmentBase/SegmentList Initialization, RepresentationIndex and SegmentURL
 *   URLs, and, for Representations addressed by SegmentBase (whose media URL is the BaseURL itself),
 *   to their closest BaseURLs below the MPD level. A player resolves templates against BaseURL and
 *   the query of a BaseURL does not survive that resolution (RFC 3986 §5.2.2), so the token must be
 *   on the segment URLs. Template identifiers (`$Number%05d$`) are untouched: only the query changes.
 * Throws CdnError MANIFEST_ERR_INVALID for bad options.
 */
export function rewriteMpd(mpd: Mpd, options: RewriteOptions): Mpd {
  checkOptions(options);
  const out = structuredClone(mpd);
  if (options.steering !== undefined) applySteering(out, options.steering);
  else if (options.baseUrl !== undefined) out.baseUrls = rebase(mpd.baseUrls, directoryUrl(options.baseUrl));
  if (options.query !== undefined && Object.keys(options.query).length > 0) applyQuery(out, options.query);
  return out;
}

function checkOptions(options: RewriteOptions): void {
  if (options.baseUrl !== undefined && options.steering !== undefined) {
    invalid('give baseUrl or steering, not both (steering carries one base URL per location)');
  }
  if (options.baseUrl !== undefined) checkAbsolute(options.baseUrl, 'baseUrl');
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (name === '') invalid('query parameter names must be non-empty');
    if (typeof value !== 'string') invalid(`query parameter ${name} must be a string`);
  }
  if (options.steering !== undefined) checkSteering(options.steering);
}

function checkAbsolute(url: string, what: string): void {
  if (typeof url !== 'string' || resolveUrl(url, undefined) === undefined)
    invalid(`${what} must be an absolute URL`);
}

function checkSteering(steering: SteeringOptions): void {
  if (typeof steering.serverUri !== 'string' || steering.serverUri.trim() === '') {
    invalid('steering.serverUri must be a non-empty URL');
  }
  if (resolveUrl(steering.serverUri, 'http://base.invalid/') === undefined)
    invalid('steering.serverUri is not a URL');
  if (steering.locations.length === 0) invalid('steering.locations must not be empty');
  const ids = new Set<string>();
  for (const location of steering.locations) {
    checkLocationId(location.id);
    if (ids.has(location.id)) invalid(`steering location id ${location.id} is used twice`);
    ids.add(location.id);
    checkAbsolute(location.baseUrl, `the baseUrl of steering location ${location.id}`);
  }
  for (const id of steering.defaultLocationIds ?? []) {
    if (!ids.has(id)) invalid(`steering.defaultLocationIds names ${id}, which is not a location`);
  }
  if (steering.defaultLocationIds !== undefined && steering.defaultLocationIds.length === 0) {
    invalid('steering.defaultLocationIds, when given, must not be empty');
  }
}

/** serviceLocation values are listed whitespace-separated in defaultServiceLocation (CTS), so none may hold whitespace. */
function checkLocationId(id: string): void {
  if (typeof id !== 'string' || id === '' || /[\s\p{Z}]/u.test(id)) {
    invalid(`steering location id "${String(id)}" must be non-empty without whitespace`);
  }
}

/** The URL with a `/` ending its path, so that relative references resolve inside the directory. */
function directoryUrl(url: string): string {
  const parsed = new URL(url);
  if (!parsed.pathname.endsWith('/')) parsed.pathname += '/';
  return parsed.href;
}

/** The new MPD-level BaseURLs under `base`: existing relative ones resolved against it, absolute ones dropped. */
function rebase(existing: readonly BaseUrl[], base: string, serviceLocation?: string): BaseUrl[] {
  const relative = existing.filter((u) => resolveUrl(u.url, undefined) === undefined);
  const tag = (u: BaseUrl): BaseUrl => (serviceLocation === undefined ? u : { ...u, serviceLocation });
  if (relative.length === 0) return [tag({ url: base })];
  return relative.map((u) => tag({ ...u, url: resolveUrl(u.url, base) ?? base }));
}

function applySteering(mpd: Mpd, steering: SteeringOptions): void {
  const original = mpd.baseUrls;
  mpd.baseUrls = steering.locations.flatMap((l) => rebase(original, directoryUrl(l.baseUrl), l.id));
  const defaults = steering.defaultLocationIds ?? [steering.locations[0]?.id ?? ''];
  mpd.contentSteering = {
    serverUrl: steering.serverUri,
    defaultServiceLocation: defaults.join(' '),
    queryBeforeStart: steering.queryBeforeStart ?? false,
  };
}

/**
 * Sets query parameters on a URL or URL template: a parameter already there with the same name
 * (compared decoded) takes the new value in place and later duplicates are removed; new ones are
 * appended in order. Names and values are percent-encoded, so a `$` in a token cannot be taken for a
 * template identifier. The fragment, if any, stays last.
 */
export function setQueryParams(url: string, params: Readonly<Record<string, string>>): string {
  const hashAt = url.indexOf('#');
  const fragment = hashAt >= 0 ? url.slice(hashAt) : '';
  const beforeFragment = hashAt >= 0 ? url.slice(0, hashAt) : url;
  const queryAt = beforeFragment.indexOf('?');
  const path = queryAt >= 0 ? beforeFragment.slice(0, queryAt) : beforeFragment;
  const query = queryAt >= 0 ? beforeFragment.slice(queryAt + 1) : '';
  const pending = new Map(Object.entries(params));
  const done = new Set<string>();
  const pairs: string[] = [];
  for (const pair of query === '' ? [] : query.split('&')) {
    const name = decodeName(pair.split('=')[0] ?? '');
    if (!pending.has(name) && !done.has(name)) {
      pairs.push(pair);
      continue;
    }
    if (done.has(name)) continue;
    pairs.push(encodePair(name, pending.get(name) ?? ''));
    pending.delete(name);
    done.add(name);
  }
  for (const [name, value] of pending) pairs.push(encodePair(name, value));
  return `${path}?${pairs.join('&')}${fragment}`;
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

function encodePair(name: string, value: string): string {
  return `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
}

function applyQuery(mpd: Mpd, query: Readonly<Record<string, string>>): void {
  const add = (url: string | undefined): string | undefined =>
    url === undefined ? undefined : setQueryParams(url, query);
  const levels: Array<{
    segmentTemplate?: SegmentTemplate;
    segmentList?: SegmentList;
    segmentBase?: SegmentBase;
  }> = [];
  for (const period of mpd.periods) {
    levels.push(period);
    for (const set of period.adaptationSets) levels.push(set, ...set.representations);
  }
  for (const level of levels) {
    if (level.segmentTemplate) level.segmentTemplate = tokenTemplate(level.segmentTemplate, add);
    if (level.segmentList) level.segmentList = tokenList(level.segmentList, add);
    if (level.segmentBase) level.segmentBase = tokenBase(level.segmentBase, add);
  }
  for (const rep of representationsOf(mpd)) {
    if (rep.addressing.kind !== 'base' && rep.addressing.kind !== 'none') continue;
    tokenClosestBaseUrls([rep.representation, rep.adaptationSet, rep.period], query);
  }
}

type AddQuery = (url: string | undefined) => string | undefined;

function tokenTemplate(t: SegmentTemplate, add: AddQuery): SegmentTemplate {
  return {
    ...t,
    ...opt('media', add(t.media)),
    ...opt('initialization', add(t.initialization)),
    ...opt('index', add(t.index)),
    ...opt('bitstreamSwitching', add(t.bitstreamSwitching)),
  };
}

/** URLType without @sourceURL points at the BaseURL itself (with a range): nothing to add there. */
function tokenUrlRef(u: UrlRef | undefined, add: AddQuery): UrlRef | undefined {
  return u === undefined ? undefined : { ...u, ...opt('sourceUrl', add(u.sourceUrl)) };
}

function tokenList(l: SegmentList, add: AddQuery): SegmentList {
  return {
    ...l,
    ...opt('initialization', tokenUrlRef(l.initialization, add)),
    segmentUrls: l.segmentUrls.map((u) => ({
      ...u,
      ...opt('media', add(u.media)),
      ...opt('index', add(u.index)),
    })),
  };
}

function tokenBase(b: SegmentBase, add: AddQuery): SegmentBase {
  return {
    ...b,
    ...opt('initialization', tokenUrlRef(b.initialization, add)),
    ...opt('representationIndex', tokenUrlRef(b.representationIndex, add)),
  };
}

/** The media URL of a SegmentBase Representation is its BaseURL: token the nearest level that has one. */
function tokenClosestBaseUrls(
  levels: ReadonlyArray<Representation | AdaptationSet | Period>,
  query: Readonly<Record<string, string>>,
): void {
  const level = levels.find((l) => l.baseUrls.length > 0);
  if (level === undefined) return;
  level.baseUrls = level.baseUrls.map((u) => ({ ...u, url: setQueryParams(u.url, query) }));
}
