/**
 * The player's side of steering: `GET /v1/steer` for ranked edges, and the content steering server
 * (`GET /v1/steering/{title}`), reloaded every TTL with the current pathway and throughput so that
 * the server can demote a slow one (Apple "HLS Content Steering" `_HLS_pathway`/`_HLS_throughput`;
 * DASH-IF content steering `_DASH_pathway`/`_DASH_throughput`).
 */
import type { Dispatcher } from 'undici';
import { isCdnError } from '../../common/errors.js';
import type { SteerResponse, SteeredEdge } from '../../common/steeringProtocol.js';
import { parseSteeringManifest } from '../../manifests/index.js';
import type { ManifestFormat } from './config.js';
import { PlayerHttpErrorCode, playerHttpError } from './errors.js';
import { getText } from './transport.js';

export type { SteerResponse, SteeredEdge };

export interface SteerRequest {
  originUrl: string;
  titleId: string;
  sessionId: string;
  /** Client address override (`client_ip`, for origins that allow it: tests and rehearsals). */
  clientIp?: string;
}

export interface SmallGetOptions {
  dispatcher: Dispatcher;
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
}

/** The steer URL of a request. */
export function steerUrl(req: SteerRequest): string {
  const url = new URL('/v1/steer', req.originUrl);
  url.searchParams.set('title', req.titleId);
  url.searchParams.set('session', req.sessionId);
  if (req.clientIp !== undefined) url.searchParams.set('client_ip', req.clientIp);
  return url.toString();
}

function isEdge(value: unknown): value is SteeredEdge {
  const e = value as Partial<SteeredEdge> | null;
  return (
    typeof e?.id === 'string' &&
    typeof e.baseUrl === 'string' &&
    typeof e.dashUrl === 'string' &&
    typeof e.hlsUrl === 'string'
  );
}

/**
 * Ranked edges for the session. PLAYER_ERR_TITLE_NOT_FOUND when steering does not know the title,
 * PLAYER_ERR_STEERING for anything else that goes wrong (the server's code in the message).
 */
export async function requestSteering(req: SteerRequest, options: SmallGetOptions): Promise<SteerResponse> {
  const url = steerUrl(req);
  let text: string;
  try {
    text = await getText(url, options);
  } catch (err) {
    if (isCdnError(err) && err.details?.status === 404) {
      throw playerHttpError(PlayerHttpErrorCode.TitleNotFound, `title ${req.titleId}: ${err.message}`, {
        cause: err,
      });
    }
    if (isCdnError(err, 'CDN_ERR_ABORTED')) throw err;
    throw playerHttpError(PlayerHttpErrorCode.Steering, `steering: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let answer: Partial<SteerResponse>;
  try {
    answer = JSON.parse(text) as Partial<SteerResponse>;
  } catch {
    throw playerHttpError(PlayerHttpErrorCode.Steering, `steering: ${url} did not answer JSON`);
  }
  if (
    typeof answer.version !== 'string' ||
    !Array.isArray(answer.edges) ||
    answer.edges.length === 0 ||
    !answer.edges.every(isEdge)
  ) {
    throw playerHttpError(PlayerHttpErrorCode.Steering, `steering: ${url} answered no usable edge`);
  }
  return answer as SteerResponse;
}

/** TTL used until the first steering manifest arrives, or after a failed reload, s (the origin's default TTL). */
const FALLBACK_TTL_S = 10;

/**
 * The content steering client of one session: `due(nowMs)` says when to reload, `reload` fetches
 * the steering manifest and returns the priority list (edge ids, most preferred first), or
 * undefined when the reload failed (the previous priority stands; retried after a TTL).
 */
export class ContentSteeringClient {
  private uri: string;
  private nextMs: number;
  reloads = 0;
  failures = 0;

  constructor(
    serverUri: string,
    private readonly format: ManifestFormat,
    startMs: number,
  ) {
    this.uri = serverUri;
    this.nextMs = startMs;
  }

  due(nowMs: number): boolean {
    return nowMs >= this.nextMs;
  }

  /** Fetches the steering manifest at `nowMs` (session clock) reporting `pathway` and `throughputBps`. */
  async reload(
    nowMs: number,
    pathway: string,
    throughputBps: number | undefined,
    options: SmallGetOptions,
  ): Promise<string[] | undefined> {
    this.nextMs = nowMs + FALLBACK_TTL_S * 1000;
    const url = new URL(this.uri);
    const prefix = this.format === 'hls' ? '_HLS' : '_DASH';
    url.searchParams.set(`${prefix}_pathway`, pathway);
    if (throughputBps !== undefined && Number.isFinite(throughputBps) && throughputBps > 0) {
      url.searchParams.set(`${prefix}_throughput`, String(Math.round(throughputBps)));
    }
    try {
      const manifest = parseSteeringManifest(await getText(url.toString(), options));
      this.reloads += 1;
      this.nextMs = nowMs + manifest.TTL * 1000;
      if (manifest['RELOAD-URI'] !== undefined) this.uri = new URL(manifest['RELOAD-URI'], url).toString();
      const hls = manifest['PATHWAY-PRIORITY'];
      const dash = manifest['SERVICE-LOCATION-PRIORITY'];
      return this.format === 'hls' ? (hls ?? dash) : (dash ?? hls);
    } catch {
      this.failures += 1;
      return undefined;
    }
  }
}
