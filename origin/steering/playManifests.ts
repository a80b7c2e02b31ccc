/**
 * The title's top manifests rewritten for one player session (pure): one HLS pathway / DASH service
 * location per ranked edge, each at the edge's copy of the pinned version (a base URL carrying the
 * URL token in its path, so every relative URI below it carries the token too), and the content
 * steering server that reorders them during playback.
 */
import { parseMpd, rewriteMpd, writeMpd } from '../../manifests/dash/index.js';
import { parseHlsMaster, rewriteHlsMaster, writeHlsPlaylist } from '../../manifests/hls/index.js';

export interface PlayPathway {
  /** Edge id: the PATHWAY-ID and serviceLocation. */
  id: string;
  /** Absolute URL of the directory holding the manifest on that edge, ending in `/` (token in the path). */
  baseUrl: string;
}

export interface PlayManifestOptions {
  pathways: readonly PlayPathway[];
  /** Absolute URL of the steering server for this session. */
  serverUri: string;
}

/** An HLS master playlist with EXT-X-CONTENT-STEERING and one copy of each variant per pathway. */
export function steeredHlsMaster(text: string, options: PlayManifestOptions): string {
  const master = rewriteHlsMaster(parseHlsMaster(text), {
    steering: { serverUri: options.serverUri, pathways: options.pathways },
  });
  return writeHlsPlaylist(master);
}

/** A DASH MPD with ContentSteering and one MPD-level BaseURL per service location. */
export function steeredMpd(text: string, options: PlayManifestOptions): string {
  const mpd = rewriteMpd(parseMpd(text), {
    steering: {
      serverUri: options.serverUri,
      queryBeforeStart: false,
      locations: options.pathways.map((p) => ({ id: p.id, baseUrl: p.baseUrl })),
    },
  });
  return writeMpd(mpd);
}
