import type { LadderFile } from '../encoder/index.js';
import {
  parseMpd,
  representationsOf,
  segmentsOf,
  writeMpd,
  type Mpd,
  type Representation,
} from './dash/index.js';
import { minimumHlsVersion, parseHlsMaster, writeHlsPlaylist, type HlsMasterPlaylist } from './hls/index.js';
import type { TitleTrack } from './titleFile.js';

/**
 * DASH quality annotation: `<SupplementalProperty schemeIdUri="urn:open-edge-cdn:quality:2026"
 * value="vmaf=94.91,hmean=94.20,p5=91.03"/>` on each video Representation (a SupplementalProperty
 * may be ignored by players that do not know it, ISO/IEC 23009-1 §5.8.4.9); `qualityRanking` carries
 * the same order in the standard attribute (lower is better, §5.3.5.2).
 */
export const DASH_QUALITY_SCHEME = 'urn:open-edge-cdn:quality:2026';

/**
 * HLS `EXT-X-SESSION-DATA` DATA-ID naming the metric of the variants' SCORE (`vmaf`, `psnr`,
 * `ssim`): SCORE itself only says "higher is better" (RFC 8216bis §4.4.6.2), so a player that reads
 * it as VMAF needs to know it is VMAF. Reverse-DNS, as §4.4.6.4 recommends.
 */
export const HLS_QUALITY_METRIC_DATA_ID = 'org.open-edge-cdn.quality-metric';

export interface QualityAnnotation {
  metric: string;
  mean: number;
  harmonicMean: number;
  p5: number;
}

/** The value of the DASH quality descriptor. */
export function formatQualityValue(q: QualityAnnotation): string {
  return `${q.metric}=${q.mean.toFixed(2)},hmean=${q.harmonicMean.toFixed(2)},p5=${q.p5.toFixed(2)}`;
}

/** Reads a quality descriptor value back (player side); undefined when it is not ours. */
export function parseQualityValue(value: string): QualityAnnotation | undefined {
  const match = /^(vmaf|psnr|ssim)=(-?[\d.]+),hmean=(-?[\d.]+),p5=(-?[\d.]+)$/.exec(value);
  if (!match) return undefined;
  return { metric: match[1]!, mean: Number(match[2]), harmonicMean: Number(match[3]), p5: Number(match[4]) };
}

export interface EnrichInput {
  mpdText: string;
  masterText: string;
  /** Tracks with rates measured from the packaged bytes and quality from the encoder. */
  tracks: readonly TitleTrack[];
  ladder: LadderFile;
}

/** Returns both manifests with measured rates and per-rung quality written in. */
export function enrichManifests(input: EnrichInput): { mpdText: string; masterText: string } {
  return {
    mpdText: writeMpd(enrichMpd(parseMpd(input.mpdText), input.tracks)),
    masterText: writeHlsPlaylist(
      enrichHlsMaster(parseHlsMaster(input.masterText), input.tracks, input.ladder),
    ),
  };
}

/** Three decimals are what HLS FRAME-RATE carries (RFC 8216 §4.3.4.2). */
function frameRate3(fps: number): number {
  return Math.round(fps * 1000) / 1000;
}

/**
 * HLS master: each video variant gets BANDWIDTH = peak segment rate of the video plus the largest
 * audio rendition's peak, AVERAGE-BANDWIDTH = the averages summed (RFC 8216 §4.3.4.2: both count every
 * rendition a variant may play), SCORE = the rung's measured quality (bis §4.4.6.2: higher is better,
 * so a player may prefer quality), FRAME-RATE from the encode.
 */
export function enrichHlsMaster(
  master: HlsMasterPlaylist,
  tracks: readonly TitleTrack[],
  ladder: LadderFile,
): HlsMasterPlaylist {
  const audio = tracks.filter((t) => t.type === 'audio');
  const audioPeakBps = Math.max(0, ...audio.map((t) => t.peakBandwidthBps));
  const audioAverageBps = Math.max(0, ...audio.map((t) => t.averageBandwidthBps));
  const variants = master.variants.map((variant) => {
    const track = tracks.find((t) => t.type === 'video' && t.playlist === variant.uri);
    if (!track) return variant;
    const enriched = {
      ...variant,
      bandwidthBps: track.peakBandwidthBps + audioPeakBps,
      averageBandwidthBps: track.averageBandwidthBps + audioAverageBps,
      frameRate: frameRate3(ladder.frameRate.num / ladder.frameRate.den),
    };
    if (track.quality) enriched.score = Math.round(track.quality.mean * 100) / 100;
    if (track.width !== undefined && track.height !== undefined) {
      enriched.resolution = { width: track.width, height: track.height };
    }
    return enriched;
  });
  const scored = variants.some((v) => v.score !== undefined);
  const sessionData = [
    ...master.sessionData.filter((d) => d.dataId !== HLS_QUALITY_METRIC_DATA_ID),
    ...(scored ? [{ dataId: HLS_QUALITY_METRIC_DATA_ID, value: ladder.metric.name }] : []),
  ];
  const enriched: HlsMasterPlaylist = { ...master, variants, sessionData };
  // Declare a version only when the playlist needs more than version 1 (RFC 8216 §4.3.1.2).
  const needed = minimumHlsVersion(enriched);
  if (needed > (master.version ?? 1)) enriched.version = needed;
  return enriched;
}

/**
 * DASH: each Representation's @bandwidth becomes the rate that plays without stalls after
 * minBufferTime (computed from the packaged bytes), video Representations get the quality descriptor
 * and qualityRanking (1 = best).
 */
export function enrichMpd(mpd: Mpd, tracks: readonly TitleTrack[]): Mpd {
  const ranking = [...tracks]
    .filter((t) => t.type === 'video' && t.quality)
    .sort((a, b) => (b.quality?.mean ?? 0) - (a.quality?.mean ?? 0))
    .map((t) => t.id);
  const byInit = new Map<string, TitleTrack>(tracks.map((t) => [t.init.path, t]));
  const reps = new Map<Representation, TitleTrack>();
  for (const rep of representationsOf(mpd)) {
    const initUrl = segmentsOf(mpd, rep).initUrl;
    const track = initUrl === undefined ? undefined : byInit.get(initUrl);
    if (track) reps.set(rep.representation, track);
  }
  const enrichRep = (rep: Representation): Representation => {
    const track = reps.get(rep);
    if (!track) return rep;
    const out: Representation = { ...rep, bandwidthBps: track.dashBandwidthBps };
    if (track.quality) {
      out.descriptors = [
        ...rep.descriptors.filter((d) => d.schemeIdUri !== DASH_QUALITY_SCHEME),
        {
          element: 'SupplementalProperty',
          schemeIdUri: DASH_QUALITY_SCHEME,
          value: formatQualityValue(track.quality),
        },
      ];
      out.qualityRanking = ranking.indexOf(track.id) + 1;
    }
    return out;
  };
  return {
    ...mpd,
    periods: mpd.periods.map((period) => ({
      ...period,
      adaptationSets: period.adaptationSets.map((set) => ({
        ...set,
        representations: set.representations.map(enrichRep),
      })),
    })),
  };
}
