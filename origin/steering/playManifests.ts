/**
 * The title's top manifests rewritten for one player session (pure): one HLS pathway / DASH service
 * location per ranked edge, each at the edge's copy of the pinned version, URL tokens on every URI,
 * and the content steering server that reorders them during playback.
 */
import { parseMpd, rewriteMpd, writeMpd } from '../../manifests/dash/index.js';
import { parseHlsMaster, rewriteHlsMaster, writeHlsPlaylist } from '../../manifests/hls/index.js';

export interface PlayPathway {
  /** Edge id: the PATHWAY-ID and serviceLocation. */
  id: string;
  /** Absolute URL of the directory holding the manifest on that edge, ending in `/`. */
  baseUrl: string;
}

export interface PlayManifestOptions {
  pathways: readonly PlayPathway[];
  /** Absolute URL of the steering server for this session. */
  serverUri: string;
  /** Query parameters for every URI (the URL token). */
  query?: Readonly<Record<string, string>>;
}

/** An HLS master playlist with EXT-X-CONTENT-STEERING and one copy of each variant per pathway. */
export function steeredHlsMaster(text: string, options: PlayManifestOptions): string {
  const master = rewriteHlsMaster(parseHlsMaster(text), {
    ...(options.query !== undefined ? { query: options.query } : {}),
    steering: { serverUri: options.serverUri, pathways: options.pathways },
  });
  return writeHlsPlaylist(master);
}

/** A DASH MPD with ContentSteering and one MPD-level BaseURL per service location. */
export function steeredMpd(text: string, options: PlayManifestOptions): string {
  const mpd = rewriteMpd(parseMpd(text), {
    ...(options.query !== undefined ? { query: { ...options.query } } : {}),
    steering: {
      serverUri: options.serverUri,
      queryBeforeStart: false,
      locations: options.pathways.map((p) => ({ id: p.id, baseUrl: p.baseUrl })),
    },
  });
  return writeMpd(mpd);
}
