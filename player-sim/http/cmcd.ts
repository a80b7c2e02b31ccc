/**
 * Common Media Client Data (CTA-5004, version 1) on the player's requests, encoded by
 * @svta/cml-cmcd: in the four `CMCD-*` headers (the default) or in the `CMCD` query parameter.
 * The edge's prefetch reads `nor` (the next object, relative to this request) to fill it early.
 */
import { toCmcdHeaders, toCmcdQuery, type Cmcd, type CmcdV1Data } from '@svta/cml-cmcd';
import type { CmcdMode, ManifestFormat } from './config.js';

/**
 * `rtp` (requested maximum throughput) as a multiple of the object's bitrate: RxPlayer's
 * RTP_FACTOR (4), enough headroom that pacing at it never makes the player stall.
 */
export const RTP_FACTOR = 4;

/** What the player knows about one request (CMCD keys in brackets). */
export interface CmcdRequestFacts {
  sessionId: string;
  /** Content id [cid]: the title id. */
  titleId: string;
  format: ManifestFormat;
  /** Object type [ot]: manifest, video, audio, init segment. */
  objectType: 'm' | 'v' | 'a' | 'i';
  /** Encoded bitrate of the object [br], bit/s. */
  bitrateBps?: number;
  /** Media duration of the object [d], ms. */
  durationMs?: number;
  /** Buffer level [bl], ms. */
  bufferMs?: number;
  /** Measured throughput [mtp], kbit/s. */
  throughputKbps?: number;
  /** Absolute URL of the next object the player will ask for [nor] (sent relative to `url`). */
  nextUrl?: string;
  /** Startup or rebuffering [su]. */
  startup?: boolean;
  /** The buffer ran dry since the last request [bs]. */
  bufferStarved?: boolean;
}

/** The CMCD version 1 payload of a request (keys whose value is unknown are left out). */
export function cmcdData(facts: CmcdRequestFacts): CmcdV1Data {
  const data: CmcdV1Data = {
    sid: facts.sessionId,
    cid: facts.titleId,
    sf: facts.format === 'dash' ? 'd' : 'h',
    st: 'v',
    ot: facts.objectType,
  };
  if (facts.bitrateBps !== undefined && facts.bitrateBps > 0) {
    const kbps = Math.round(facts.bitrateBps / 1000);
    data.br = kbps;
    data.rtp = kbps * RTP_FACTOR;
  }
  if (facts.durationMs !== undefined) data.d = Math.round(facts.durationMs);
  if (facts.bufferMs !== undefined) data.bl = Math.max(0, facts.bufferMs);
  if (facts.throughputKbps !== undefined && Number.isFinite(facts.throughputKbps))
    data.mtp = facts.throughputKbps;
  if (facts.nextUrl !== undefined) data.nor = facts.nextUrl;
  if (facts.startup) data.su = true;
  if (facts.bufferStarved) data.bs = true;
  return data;
}

/** The request's URL and headers with CMCD added as `mode` says. */
export function withCmcd(
  mode: CmcdMode,
  url: string,
  headers: Record<string, string>,
  facts: CmcdRequestFacts,
): { url: string; headers: Record<string, string> } {
  if (mode === 'off') return { url, headers };
  const options = { version: 1 as const, baseUrl: url };
  // The encoders take the union of both versions' shapes; `version: 1` makes them write v1 values.
  const data = cmcdData(facts) as unknown as Cmcd;
  if (mode === 'header') return { url, headers: { ...headers, ...toCmcdHeaders(data, options) } };
  const hash = url.indexOf('#');
  const bare = hash < 0 ? url : url.slice(0, hash);
  return { url: `${bare}${bare.includes('?') ? '&' : '?'}${toCmcdQuery(data, options)}`, headers };
}
