/**
 * Loading a title's ladder from an edge: the DASH MPD, or the HLS master playlist and every media
 * playlist it names (variants and the audio rendition), parsed by the manifest library and adapted
 * to the player's ladder model (per-rung VMAF from our DASH quality descriptor or HLS SCORE).
 */
import type { Dispatcher } from 'undici';
import { parseHlsMaster, parseHlsMedia, parseMpd, type HlsMediaPlaylist } from '../../manifests/index.js';
import type { Ladder } from '../ladder.js';
import { ladderFromDash, ladderFromHls } from '../manifestLadder.js';
import type { ManifestFormat } from './config.js';
import { getText } from './transport.js';

export interface ManifestRequestOptions {
  dispatcher: Dispatcher;
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
  /** Headers of each request (CMCD for the manifest), by URL. */
  headersFor?: (url: string) => { url: string; headers: Record<string, string> };
}

/** GETs of one ladder load: how many and how many bytes (for the session's counters). */
export interface ManifestLoad {
  ladder: Ladder;
  requests: number;
  bytes: number;
}

/** The ladder of `manifestUrl` (an MPD for `dash`, a master playlist for `hls`). */
export async function loadLadder(
  format: ManifestFormat,
  manifestUrl: string,
  options: ManifestRequestOptions,
): Promise<ManifestLoad> {
  let requests = 0;
  let bytes = 0;
  const get = async (url: string): Promise<string> => {
    const target = options.headersFor?.(url) ?? { url, headers: {} };
    const text = await getText(target.url, {
      dispatcher: options.dispatcher,
      headers: target.headers,
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    requests += 1;
    bytes += Buffer.byteLength(text);
    return text;
  };
  if (format === 'dash') {
    const ladder = ladderFromDash(parseMpd(await get(manifestUrl)), { manifestUrl });
    return { ladder, requests, bytes };
  }
  const master = parseHlsMaster(await get(manifestUrl));
  const uris = new Set<string>(master.variants.map((v) => v.uri).filter((u) => u !== ''));
  for (const r of master.renditions) if (r.type === 'AUDIO' && r.uri !== undefined) uris.add(r.uri);
  const media = new Map<string, HlsMediaPlaylist>();
  await Promise.all(
    [...uris].map(async (uri) => {
      media.set(uri, parseHlsMedia(await get(new URL(uri, manifestUrl).toString())));
    }),
  );
  return { ladder: ladderFromHls(master, media, { masterUrl: manifestUrl }), requests, bytes };
}

/** The URL of every object of a ladder's segment (video at `rung`, audio), for HEAD sizing. */
export function segmentObjectUrls(ladder: Ladder, segment: number, rung: number): string[] {
  const urls = [ladder.rungs[rung]?.segments?.[segment]?.url];
  urls.push(ladder.audio?.segments?.[segment]?.url);
  return urls.filter((u): u is string => u !== undefined);
}
