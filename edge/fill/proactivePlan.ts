/**
 * Proactive fill decisions (pure): what an admin request asks for, in which order a title's objects
 * are filled, how much room a title may take and whose room that is, the bandwidth token bucket,
 * and the fill window. No I/O and no clock: callers pass `nowMs`.
 */
import { TITLE_ID_PATTERN, type TitleFile } from '../../manifests/index.js';
import { cacheKeyFor, titleKeyPrefix } from '../policy/cacheKey.js';

/** Titles one run takes, at most: a night's fill plan of a large catalogue's head. */
export const MAX_TITLES_PER_RUN = 1000;

export type FillRequest =
  | { source: 'titles'; titles: string[]; maxBytes: number | undefined }
  | { source: 'popularity'; limit: number | undefined; maxBytes: number | undefined };

export type FillRequestVerdict = { kind: 'ok'; request: FillRequest } | { kind: 'invalid'; message: string };

const FILL_REQUEST_KEYS = new Set(['titles', 'fromPopularity', 'limit', 'maxBytes']);

function positiveInteger(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= max;
}

/**
 * Checks a `POST /admin/fill` body: `{titles: [titleId, ...]}` or `{fromPopularity: true, limit?}`,
 * either with an optional `maxBytes` (the run's byte budget, below the configured one).
 */
export function parseFillRequest(body: Readonly<Record<string, unknown>>): FillRequestVerdict {
  const invalid = (message: string): FillRequestVerdict => ({ kind: 'invalid', message });
  for (const key of Object.keys(body)) {
    if (!FILL_REQUEST_KEYS.has(key)) return invalid(`unknown field "${key.slice(0, 64)}"`);
  }
  const { titles, fromPopularity, limit, maxBytes } = body;
  if (maxBytes !== undefined && !positiveInteger(maxBytes, Number.MAX_SAFE_INTEGER)) {
    return invalid('"maxBytes" must be a positive integer');
  }
  const budget = maxBytes;
  if ((titles === undefined) === (fromPopularity === undefined)) {
    return invalid('give exactly one of "titles" (a list of title ids) or "fromPopularity": true');
  }
  if (fromPopularity !== undefined) {
    if (fromPopularity !== true) return invalid('"fromPopularity" must be true');
    if (limit !== undefined && !positiveInteger(limit, MAX_TITLES_PER_RUN)) {
      return invalid(`"limit" must be an integer from 1 to ${MAX_TITLES_PER_RUN}`);
    }
    return { kind: 'ok', request: { source: 'popularity', limit: limit, maxBytes: budget } };
  }
  if (limit !== undefined) return invalid('"limit" goes with "fromPopularity"');
  if (!Array.isArray(titles) || titles.length === 0 || titles.length > MAX_TITLES_PER_RUN) {
    return invalid(`"titles" must be a list of 1 to ${MAX_TITLES_PER_RUN} title ids`);
  }
  const unique: string[] = [];
  for (const id of titles as unknown[]) {
    if (typeof id !== 'string' || !TITLE_ID_PATTERN.test(id)) {
      return invalid(`"titles" holds a bad title id: ${JSON.stringify(id)?.slice(0, 80)}`);
    }
    if (!unique.includes(id)) unique.push(id);
  }
  return { kind: 'ok', request: { source: 'titles', titles: unique, maxBytes: budget } };
}

/** The cache key of a title's current `title.json` (what a fill run reads first). */
export function titleFileKey(titleId: string): string {
  return `${titleKeyPrefix(titleId)}title.json`;
}

export type PlannedKind = 'manifest' | 'playlist' | 'init' | 'segment';

export interface PlannedObject {
  key: string;
  kind: PlannedKind;
  /** Body size from title.json; undefined for manifests and playlists (not listed with sizes). */
  sizeBytes: number | undefined;
  /** The size, or for an unlisted one an upper estimate (for reserving room). */
  estimatedBytes: number;
}

/**
 * Upper estimate of a top manifest, in bytes: a pinned MPD or HLS master of a dozen tracks with
 * SegmentTimeline is 1–3 KB.
 */
const MANIFEST_ESTIMATE_BYTES = 4096;
/** A media playlist: header lines, in bytes... */
const PLAYLIST_BASE_BYTES = 512;
/** ...plus an `#EXTINF` line and a URI per segment, in bytes (about 40 in practice). */
const PLAYLIST_BYTES_PER_SEGMENT = 64;

/**
 * The objects of a title in fill order:
 * 1. the two top manifests at their unversioned URLs (what players load first; the origin pins them
 *    to the version, so they name versioned URLs below);
 * 2. every track's media playlist and init segment (small, needed by every session on that track);
 * 3. the media segments, one track after another: audio first, then video rungs from the lowest
 *    average bit rate up, each in playback order.
 *
 * Why lowest rungs first: a run can stop early (window, byte budget, room). A title whose lowest
 * rungs are complete plays from this node start to end for every session — players start low
 * (throughput and BOLA start-up) and fall back there when the network dips — while a half-filled
 * top rung helps only sessions that stay at the top. Low rungs also cost the fewest bytes per second
 * of playback, so each filled byte serves the most playback. Audio goes first because every session
 * needs it and it is a small fraction of the bytes.
 *
 * Media objects use the versioned path (`/content/{title}/v/{version}/...`, immutable), the URLs
 * the pinned manifests lead to.
 */
export function planTitleObjects(title: TitleFile): PlannedObject[] {
  const base = `${titleKeyPrefix(title.id)}v/${title.version}/`;
  const out: PlannedObject[] = [];
  const seen = new Set<string>();
  const add = (target: string, kind: PlannedKind, sizeBytes: number | undefined, estimate = 0): void => {
    let key: string;
    try {
      key = cacheKeyFor('GET', target, { queryWhitelist: [] }).key;
    } catch {
      // A path the edge would refuse to serve is not worth filling.
      return;
    }
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ key, kind, sizeBytes, estimatedBytes: sizeBytes ?? estimate });
  };
  add(`${titleKeyPrefix(title.id)}${title.manifests.dash}`, 'manifest', undefined, MANIFEST_ESTIMATE_BYTES);
  add(`${titleKeyPrefix(title.id)}${title.manifests.hls}`, 'manifest', undefined, MANIFEST_ESTIMATE_BYTES);
  const tracks = [...title.tracks].sort(
    (a, b) =>
      (a.type === b.type ? 0 : a.type === 'audio' ? -1 : 1) ||
      a.averageBandwidthBps - b.averageBandwidthBps ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  for (const track of tracks) {
    const playlistEstimate = PLAYLIST_BASE_BYTES + PLAYLIST_BYTES_PER_SEGMENT * track.segments.length;
    add(`${base}${track.playlist}`, 'playlist', undefined, playlistEstimate);
    add(`${base}${track.init.path}`, 'init', track.init.sizeBytes);
  }
  for (const track of tracks) {
    const segments = [...track.segments].sort((a, b) => a.number - b.number);
    for (const segment of segments) add(`${base}${segment.path}`, 'segment', segment.sizeBytes);
  }
  return out;
}

// ---- room: never displace hotter content ----------------------------------------------------

/** A title holding bytes in the capacity tier, with what is known of its heat. */
export interface ResidentHeat {
  titleId: string;
  /** Charged bytes it holds. */
  bytes: number;
  /** Origin popularity score (0 when the origin does not list it). */
  score: number;
  /** Served to a client from this node recently (its local working set). */
  recentlyServed: boolean;
}

export interface RoomPlan {
  /** Bytes of the title that may be brought in: all it needs, or less when room runs out. */
  fitBytes: number;
  /** Colder titles to delete first, and how many bytes of each, coldest first. */
  release: { titleId: string; bytes: number }[];
  /** Fewer bytes fit than needed: the tier is full of content at least as hot as this title. */
  full: boolean;
}

/**
 * Where `needBytes` more of title `candidate` (popularity `score`) go. Free space first; then room
 * is taken only from titles strictly colder by the origin's popularity AND not served from this
 * node recently, coldest first — so the fill never evicts what either the whole fleet or this
 * node's own viewers show to be hotter. The caller deletes the `release` bytes itself before it
 * writes, so that the stores' LRU never has to pick victims for a proactive fill.
 */
export function planRoom(
  needBytes: number,
  freeBytes: number,
  candidate: { titleId: string; score: number },
  residents: readonly ResidentHeat[],
): RoomPlan {
  if (needBytes <= freeBytes) return { fitBytes: needBytes, release: [], full: false };
  let missing = needBytes - freeBytes;
  const colder = residents
    .filter(
      (r) => r.titleId !== candidate.titleId && !r.recentlyServed && r.score < candidate.score && r.bytes > 0,
    )
    .sort((a, b) => a.score - b.score || b.bytes - a.bytes || (a.titleId < b.titleId ? -1 : 1));
  const release: RoomPlan['release'] = [];
  for (const r of colder) {
    if (missing <= 0) break;
    const take = Math.min(r.bytes, missing);
    release.push({ titleId: r.titleId, bytes: take });
    missing -= take;
  }
  const fitBytes = needBytes - Math.max(0, missing);
  return { fitBytes, release, full: missing > 0 };
}

// ---- bandwidth --------------------------------------------------------------------------------

/** Token bucket state: bits available (negative: owed) at `atMs`. */
export interface TokenBucket {
  tokensBits: number;
  atMs: number;
}

export interface BucketRate {
  bandwidthBps: number;
  /** Largest credit, in bits: how far above the rate a burst may go after a pause. */
  burstBits: number;
}

/** A full bucket at `nowMs`. */
export function newBucket(nowMs: number, rate: BucketRate): TokenBucket {
  return { tokensBits: rate.burstBits, atMs: nowMs };
}

function refill(bucket: TokenBucket, nowMs: number, rate: BucketRate): number {
  const elapsedMs = Math.max(0, nowMs - bucket.atMs);
  return Math.min(rate.burstBits, bucket.tokensBits + (elapsedMs * rate.bandwidthBps) / 1000);
}

/**
 * Reserves `bits` (an object about to be fetched). The object may go once the bucket is out of
 * debt: `waitMs` is how long until then; its bits are charged at once (the bucket may go negative),
 * so the next reservation waits for them. Over a run the average rate stays at or below
 * bandwidthBps, plus at most one burst and one object.
 */
export function reserve(
  bucket: TokenBucket,
  nowMs: number,
  bits: number,
  rate: BucketRate,
): { bucket: TokenBucket; waitMs: number } {
  const tokens = refill(bucket, nowMs, rate);
  const waitMs = tokens >= 0 ? 0 : Math.ceil((-tokens * 1000) / rate.bandwidthBps);
  return { bucket: { tokensBits: tokens - bits, atMs: nowMs }, waitMs };
}

/** Charges bits known only after the fact (objects title.json lists without a size). */
export function charge(bucket: TokenBucket, nowMs: number, bits: number, rate: BucketRate): TokenBucket {
  return { tokensBits: refill(bucket, nowMs, rate) - bits, atMs: nowMs };
}

// ---- window -----------------------------------------------------------------------------------

/**
 * Whether `nowMs` falls in the daily fill window [startHour, endHour) UTC. A window may wrap
 * midnight (22 → 4); equal hours mean the whole day.
 */
export function inFillWindow(nowMs: number, startHourUtc: number, endHourUtc: number): boolean {
  if (startHourUtc === endHourUtc) return true;
  const hour = (((nowMs / 3_600_000) % 24) + 24) % 24;
  return startHourUtc < endHourUtc
    ? hour >= startHourUtc && hour < endHourUtc
    : hour >= startHourUtc || hour < endHourUtc;
}

export type ScheduleDecision =
  { kind: 'start' } | { kind: 'wait'; reason: 'disabled' | 'outside-window' | 'running' | 'draining' };

/** Whether a scheduled tick starts a popularity run. */
export function decideScheduledRun(
  state: { enabled: boolean; running: boolean; draining: boolean; nowMs: number },
  window: { startHourUtc: number; endHourUtc: number },
): ScheduleDecision {
  if (!state.enabled) return { kind: 'wait', reason: 'disabled' };
  if (state.draining) return { kind: 'wait', reason: 'draining' };
  if (state.running) return { kind: 'wait', reason: 'running' };
  if (!inFillWindow(state.nowMs, window.startHourUtc, window.endHourUtc)) {
    return { kind: 'wait', reason: 'outside-window' };
  }
  return { kind: 'start' };
}
