/**
 * The steering control plane's HTTP API (fastify plugins, registered under `/v1`):
 *
 * - `POST /v1/edges/register`, `POST /v1/edges/{id}/heartbeat`: edges, each with its own bearer token;
 * - `GET /v1/steer`: ranked edge URLs for a client, with the reason for each rank;
 * - `GET /v1/steering/{title}`: the content steering server (HLS and DASH steering manifest JSON);
 * - `GET /v1/play/{title}/master.m3u8`, `GET /v1/play/{title}/manifest.mpd`: the title's manifests
 *   with one pathway per ranked edge and the steering server, for players;
 * - `GET /v1/edges` (steeringAdminPlugin, behind the API token): edges and their state.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TITLE_ID_PATTERN, buildSteeringManifest, type TitleFile } from '../../manifests/index.js';
import { OriginErrorCode, originError } from '../errors.js';
import { ERROR_SCHEMA, errorResponses } from '../plugins/schemas.js';
import type { ContentStore } from '../store/types.js';
import { resolveClientIp, type ClientIpSource } from './clientIp.js';
import { SteeringErrorCode, steeringError } from './errors.js';
import { formatIp, type IpAddress } from '../../common/ip.js';
import { parseSteeringReport, steeringPriority, type SteeringQuery } from './pathways.js';
import { steeredHlsMaster, steeredMpd } from './playManifests.js';
import {
  EDGE_ID_PATTERN,
  HEARTBEAT_RESPONSE_SCHEMA,
  REGISTER_BODY_SCHEMA,
  REGISTER_RESPONSE_SCHEMA,
  heartbeatBodySchema,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type RegisterRequest,
  type RegisterResponse,
  tokenPath,
  type SteerResponse,
  type SteeredEdge,
} from '../../common/steeringProtocol.js';
import type { SteeringService } from './service.js';

export interface SteeringPluginOptions {
  steering: SteeringService;
  store: ContentStore;
}

/** Session ids: CMCD `sid` values (CTA-5004 §3.3: up to 64 characters), restricted to URL-safe ones. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9._~-]{1,64}$/;
/** Title files kept parsed in memory, per title version (each a few KB). */
const TITLE_CACHE_ENTRIES = 256;
/** Pathway ids a steering reload may name (`pathways`): more than any manifest carries. */
const MAX_PATHWAYS = 16;

const NO_STORE = 'no-store';

interface ClientQuery extends SteeringQuery {
  title?: string;
  session?: string;
  client_ip?: string;
  count?: string;
  pathways?: string;
}

/** Known query parameters of player-facing routes; others (CMCD in query mode, tokens) pass. */
const CLIENT_QUERY_PROPERTIES = {
  session: { type: 'string', description: 'session id (CMCD sid): the same session keeps its edges' },
  client_ip: { type: 'string', description: 'client address override (only when allowClientIpOverride)' },
} as const;

const STEERING_EDGE_SCHEMA = {
  type: 'object',
  properties: {
    rank: { type: 'integer' },
    id: { type: 'string' },
    cluster: { type: 'string' },
    baseUrl: { type: 'string' },
    dashUrl: { type: 'string' },
    hlsUrl: { type: 'string' },
    token: { type: 'string' },
    tier: { type: 'string', enum: ['longest_prefix', 'less_specific_prefix', 'default_cluster', 'fallback'] },
    prefix: { type: 'string' },
    decidedBy: { type: 'string' },
    reason: { type: 'string' },
    route: {
      type: 'object',
      properties: {
        nextHop: { type: 'string' },
        asPath: { type: 'array', items: { type: 'integer' } },
        localPref: { type: 'integer' },
        med: { type: 'integer' },
        communities: { type: 'array', items: { type: 'string' } },
      },
    },
  },
} as const;

const STEER_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    title: { type: 'string' },
    version: { type: 'string' },
    session: { type: 'string' },
    clientIp: { type: 'string' },
    clientIpSource: { type: 'string', enum: ['connection', 'forwarded', 'override'] },
    outcome: { type: 'string', enum: ['matched_prefix', 'default'] },
    matchedPrefix: { type: 'string' },
    tokenExpiresAt: { type: 'string' },
    edges: { type: 'array', items: STEERING_EDGE_SCHEMA },
    steering: {
      type: 'object',
      properties: { server: { type: 'string' }, hls: { type: 'string' }, dash: { type: 'string' } },
    },
  },
} as const;

function checkTitle(title: string | undefined): string {
  if (title === undefined || title === '')
    throw steeringError(SteeringErrorCode.BadTitle, 'title is required');
  if (!TITLE_ID_PATTERN.test(title))
    throw steeringError(SteeringErrorCode.BadTitle, `title ${JSON.stringify(title)} is not a title id`);
  return title;
}

function checkSession(session: string | undefined): string | undefined {
  if (session === undefined) return undefined;
  if (!SESSION_ID_PATTERN.test(session)) {
    throw steeringError(SteeringErrorCode.BadSession, 'session must be 1 to 64 of A-Z a-z 0-9 . _ ~ -');
  }
  return session;
}

/** The origin's own base URL as players reach it. */
function originBase(steering: SteeringService, request: FastifyRequest): string {
  return (steering.config.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
}

export function steeringPlugin(app: FastifyInstance, opts: SteeringPluginOptions): Promise<void> {
  const { steering, store } = opts;
  const titleFiles = new Map<string, TitleFile>();

  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="cdn-steering"');
    return payload;
  });

  const authorize = (id: string, request: FastifyRequest): void => {
    const decision = steering.authorizeEdge(id, request.headers.authorization);
    if (decision.kind === 'ok') return;
    steering.metrics.heartbeats.inc({ result: 'unauthorized' });
    if (decision.kind === 'missing')
      throw steeringError(
        SteeringErrorCode.EdgeUnauthorized,
        'edges authenticate with Authorization: Bearer <edge token>',
      );
    throw steeringError(SteeringErrorCode.EdgeForbidden, `the token is not valid for edge ${id}`);
  };

  const clientIp = (
    request: FastifyRequest,
    query: ClientQuery,
  ): { ip: IpAddress; source: ClientIpSource } => {
    const decision = resolveClientIp({
      remoteAddress: request.socket.remoteAddress,
      forwardedFor: request.headers['x-forwarded-for'],
      override: query.client_ip,
      trustedProxies: steering.trustedProxies,
      allowOverride: steering.config.allowClientIpOverride,
    });
    switch (decision.kind) {
      case 'ok':
        return { ip: decision.ip, source: decision.source };
      case 'bad':
        throw steeringError(SteeringErrorCode.BadIp, decision.reason);
      case 'override_forbidden':
        throw steeringError(SteeringErrorCode.OverrideForbidden, 'client_ip is not accepted by this origin');
    }
  };

  const titleFile = async (titleId: string): Promise<TitleFile> => {
    const pointer = await store.current(titleId);
    if (!pointer) throw originError(OriginErrorCode.TitleNotFound, `title ${titleId} is not published`);
    const key = `${titleId}/${pointer.version}`;
    const cached = titleFiles.get(key);
    if (cached) return cached;
    const file = await store.readTitleFile(titleId, pointer.version);
    if (!file) throw originError(OriginErrorCode.TitleNotFound, `title ${titleId} is not published`);
    if (titleFiles.size >= TITLE_CACHE_ENTRIES) titleFiles.delete(titleFiles.keys().next().value!);
    titleFiles.set(key, file);
    return file;
  };

  /** Ranks edges for the request's client; 503 without any edge in rotation. */
  const decide = (ip: IpAddress, hrwKey: string, titleId: string, count?: number | 'all') => {
    const selection = steering.rank(ip, hrwKey, titleId, count);
    if (selection.kind === 'no_healthy_edge') {
      throw steeringError(
        SteeringErrorCode.NoHealthyEdge,
        'no edge is in rotation (none registered, healthy and undrained)',
      );
    }
    return selection;
  };

  /**
   * The title version's directory on an edge, with the URL token in the path when there is one
   * (TOKEN_PATH_PREFIX): relative URIs in the manifests then carry it to every object.
   */
  const versionBase = (edgeId: string, file: TitleFile, token: string | undefined): string => {
    const dir = `/content/${file.id}/v/${file.version}/`;
    return `${steering.edges.get(edgeId)!.publicUrl}${token === undefined ? dir : tokenPath(token, dir)}`;
  };

  /** Query string of the steering server for a session (its address override kept). */
  const steeringQuery = (session: string, query: ClientQuery, pathways?: readonly string[]): string => {
    const params = new URLSearchParams({ session });
    if (pathways !== undefined) params.set('pathways', pathways.join(','));
    if (query.client_ip !== undefined) params.set('client_ip', query.client_ip);
    return params.toString();
  };

  // ---- edges ------------------------------------------------------------------------------------

  app.post(
    '/edges/register',
    {
      schema: {
        summary: 'Register an edge (or re-register after a restart): starts a new epoch',
        description:
          "Authenticated with the edge's own bearer token (`steering.edgeTokens`). The edge's routes are dropped and it stays out of rotation until its first heartbeat, which should carry its full route table.",
        tags: ['steering'],
        security: [{ bearer: [] }],
        body: REGISTER_BODY_SCHEMA,
        response: { 200: REGISTER_RESPONSE_SCHEMA, ...errorResponses(400, 401, 403, 503) },
      },
    },
    (request, reply) => {
      const body = request.body as RegisterRequest;
      authorize(body.id, request);
      const outcome = steering.register(body);
      if (outcome.kind === 'too_many_edges') {
        throw steeringError(
          SteeringErrorCode.TooManyEdges,
          `${outcome.max} edges are registered already (steering.maxEdges)`,
        );
      }
      request.log.info(
        { edge: body.id, replaced: outcome.replaced, cluster: body.cluster },
        'edge registered',
      );
      const answer: RegisterResponse = {
        epoch: outcome.edge.epoch,
        heartbeatIntervalMs: steering.config.heartbeatIntervalMs,
        expireAfterMs: steering.edges.expireAfterMs,
      };
      return reply.header('cache-control', NO_STORE).send(answer);
    },
  );

  app.post(
    '/edges/:id/heartbeat',
    {
      bodyLimit: steering.config.heartbeatBodyLimitBytes,
      // Authenticated before the (possibly large) body is read.
      onRequest: (request, _reply, done) => {
        const { id } = request.params as { id: string };
        try {
          authorize(id, request);
          done();
        } catch (err) {
          done(err as Error);
        }
      },
      schema: {
        summary: 'Edge heartbeat: health, load, drain state, cache summary and route changes',
        description:
          'Applied whole or not at all. Routes: withdrawals, then announcements, grouped by path attributes; `full` replaces every route of the edge. A seq not above the last applied changes nothing. 404 STEER_ERR_EDGE_UNKNOWN / 409 STEER_ERR_EDGE_EPOCH: register again and resync.',
        tags: ['steering'],
        security: [{ bearer: [] }],
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['id'],
          properties: { id: { type: 'string', pattern: EDGE_ID_PATTERN.source } },
        },
        body: heartbeatBodySchema(steering.config.maxCachedTitles),
        response: { 200: HEARTBEAT_RESPONSE_SCHEMA, ...errorResponses(400, 401, 403, 404, 409, 413, 422) },
      },
    },
    (request, reply) => {
      const { id } = request.params as { id: string };
      const outcome = steering.heartbeat(id, request.body as HeartbeatRequest);
      switch (outcome.kind) {
        case 'unknown':
          throw steeringError(
            SteeringErrorCode.EdgeUnknown,
            `edge ${id} is not registered (or was forgotten): register again`,
          );
        case 'epoch_mismatch':
          throw steeringError(
            SteeringErrorCode.EdgeEpoch,
            `edge ${id} registered again since this epoch: register and resync`,
          );
        case 'bad_route':
          throw steeringError(
            SteeringErrorCode.BadRoute,
            `route ${JSON.stringify(outcome.route)}: ${outcome.reason}`,
            {
              details: { route: outcome.route },
            },
          );
        case 'prefix_limit':
          throw steeringError(
            SteeringErrorCode.PrefixLimit,
            `the heartbeat would leave edge ${id} with ${outcome.prefixes} prefixes, over steering.maxPrefixesPerEdge (${outcome.max}); nothing was applied`,
          );
        case 'applied':
        case 'duplicate': {
          const answer: HeartbeatResponse = {
            ackSeq: outcome.edge.lastSeq,
            routes: {
              announced: outcome.kind === 'applied' ? outcome.announced : 0,
              withdrawn: outcome.kind === 'applied' ? outcome.withdrawn : 0,
              ...outcome.edge.prefixes,
            },
            heartbeatIntervalMs: steering.config.heartbeatIntervalMs,
          };
          return reply.header('cache-control', NO_STORE).send(answer);
        }
      }
    },
  );

  // ---- players ----------------------------------------------------------------------------------

  app.get(
    '/steer',
    {
      schema: {
        summary: 'Ranked edges for this client and title, with the reason for each rank',
        description:
          "The client address is the connection's, or from X-Forwarded-For when the peer is a trusted proxy, or `client_ip` when allowed. Each edge comes with the title's URLs on it (pinned to the current version) carrying a signed URL token in the path (`/t/<token>/content/...`), so the relative URIs of the manifests carry it too.",
        tags: ['steering'],
        querystring: {
          type: 'object',
          required: [],
          properties: {
            title: { type: 'string', description: 'title id' },
            count: { type: 'string', description: 'edges wanted, 1 to 16 (default steering.rankedEdges)' },
            ...CLIENT_QUERY_PROPERTIES,
          },
        },
        response: { 200: STEER_RESPONSE_SCHEMA, ...errorResponses(400, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const query = request.query as ClientQuery;
      const titleId = checkTitle(query.title);
      const session = checkSession(query.session);
      let count: number | undefined;
      if (query.count !== undefined) {
        count = /^[0-9]{1,2}$/.test(query.count) ? Number(query.count) : Number.NaN;
        if (!(count >= 1 && count <= 16))
          throw steeringError(SteeringErrorCode.BadRequest, 'count must be 1 to 16');
      }
      const client = clientIp(request, query);
      const file = await titleFile(titleId);
      const sessionId = session ?? randomUUID();
      const selection = decide(client.ip, sessionId, titleId, count);
      const signed = steering.token(titleId);
      const base = originBase(steering, request);
      const edges = selection.ranked.map((r, i): SteeredEdge => {
        const baseUrl = versionBase(r.edgeId, file, signed?.token);
        return {
          rank: i + 1,
          id: r.edgeId,
          cluster: steering.edges.get(r.edgeId)!.cluster,
          baseUrl,
          dashUrl: `${baseUrl}${file.manifests.dash}`,
          hlsUrl: `${baseUrl}${file.manifests.hls}`,
          ...(signed !== undefined ? { token: signed.token } : {}),
          tier: r.tier,
          ...(r.prefix !== undefined ? { prefix: r.prefix } : {}),
          ...(r.decidedBy !== undefined ? { decidedBy: r.decidedBy } : {}),
          reason: r.reason,
          ...(r.attrs !== undefined ? { route: r.attrs } : {}),
        };
      });
      const sq = steeringQuery(sessionId, query);
      const answer: SteerResponse = {
        title: titleId,
        version: file.version,
        session: sessionId,
        clientIp: formatIp(client.ip),
        clientIpSource: client.source,
        outcome: selection.outcome,
        ...(selection.matchedPrefix !== undefined ? { matchedPrefix: selection.matchedPrefix } : {}),
        ...(signed !== undefined ? { tokenExpiresAt: new Date(signed.expiresAtS * 1000).toISOString() } : {}),
        edges,
        steering: {
          server: `${base}/v1/steering/${titleId}?${steeringQuery(
            sessionId,
            query,
            selection.ranked.map((r) => r.edgeId),
          )}`,
          hls: `${base}/v1/play/${titleId}/master.m3u8?${sq}`,
          dash: `${base}/v1/play/${titleId}/manifest.mpd?${sq}`,
        },
      };
      return reply.header('cache-control', NO_STORE).send(answer);
    },
  );

  app.get(
    '/steering/:title',
    {
      schema: {
        summary: 'Content steering server: the HLS/DASH steering manifest for a session',
        description:
          "PATHWAY-PRIORITY (HLS) and SERVICE-LOCATION-PRIORITY (DASH) list the session's pathways (`pathways`, from the manifest) in the current ranking order, edges out of rotation left out. A pathway the player reports below the title's lowest rung (`_HLS_throughput`, `_DASH_throughput`, bit/s) or left since the last answer (`_HLS_pathway`, `_DASH_pathway`) is demoted for the session for `steering.demoteHoldS`.",
        tags: ['steering'],
        params: {
          type: 'object',
          required: ['title'],
          properties: { title: { type: 'string' } },
        },
        querystring: {
          type: 'object',
          properties: {
            ...CLIENT_QUERY_PROPERTIES,
            pathways: {
              type: 'string',
              description: "comma-separated pathway ids the session's manifest has",
            },
            _HLS_pathway: { type: 'string' },
            _HLS_throughput: { type: 'string' },
            _DASH_pathway: { type: 'string' },
            _DASH_throughput: { type: 'string' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              VERSION: { type: 'integer' },
              TTL: { type: 'integer' },
              'RELOAD-URI': { type: 'string' },
              'PATHWAY-PRIORITY': { type: 'array', items: { type: 'string' } },
              'SERVICE-LOCATION-PRIORITY': { type: 'array', items: { type: 'string' } },
            },
          },
          ...errorResponses(400, 403, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const query = request.query as ClientQuery;
      const titleId = checkTitle((request.params as { title: string }).title);
      const givenSession = checkSession(query.session);
      const session = givenSession ?? randomUUID();
      const report = parseSteeringReport(query);
      if (!report.ok) throw steeringError(SteeringErrorCode.BadRequest, report.reason);
      let known: string[] | undefined;
      if (query.pathways !== undefined) {
        known = query.pathways.split(',').filter((p) => p !== '');
        if (known.length > MAX_PATHWAYS || known.some((p) => !EDGE_ID_PATTERN.test(p)))
          throw steeringError(
            SteeringErrorCode.BadRequest,
            `pathways must be up to ${MAX_PATHWAYS} edge ids, comma-separated`,
          );
      }
      const client = clientIp(request, query);
      const file = await titleFile(titleId);
      const selection = decide(client.ip, session, titleId, 'all');
      const ranking = selection.ranked.map((r) => r.edgeId);
      const first = selection.ranked[0];
      const sameTierAsFirst = selection.ranked
        .filter((r) => r.tier === first?.tier && r.prefix === first.prefix)
        .map((r) => r.edgeId);
      const usable = known === undefined ? [] : ranking.filter((id) => known.includes(id));
      const candidates = usable.length > 0 ? usable : ranking.slice(0, steering.config.rankedEdges);
      const nowMs = steering.nowMs();
      const result = steeringPriority({
        ranking: candidates,
        reports: report.reports,
        memory: givenSession === undefined ? undefined : steering.session(givenSession),
        nowMs,
        minThroughputBps: lowestRungBps(file) ?? steering.config.minThroughputBps,
        holdMs: steering.config.demoteHoldS * 1000,
        sameTierAsFirst,
      });
      steering.remember(session, result.memory);
      if (result.demoted.length > 0)
        request.log.info({ session, demoted: result.demoted }, 'pathways demoted');
      const manifest = buildSteeringManifest({
        ttlS: steering.config.manifestTtlS,
        reloadUri: `${originBase(steering, request)}/v1/steering/${titleId}?${steeringQuery(session, query, known)}`,
        priority: result.priority,
      });
      return reply.header('cache-control', NO_STORE).type('application/json; charset=utf-8').send(manifest);
    },
  );

  const playHandler =
    (kind: 'hls' | 'dash') =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      const query = request.query as ClientQuery;
      const titleId = checkTitle((request.params as { title: string }).title);
      const session = checkSession(query.session) ?? randomUUID();
      const client = clientIp(request, query);
      const file = await titleFile(titleId);
      const selection = decide(client.ip, session, titleId);
      const ids = selection.ranked.map((r) => r.edgeId);
      const manifestPath = kind === 'hls' ? file.manifests.hls : file.manifests.dash;
      const dir = manifestPath.includes('/') ? manifestPath.slice(0, manifestPath.lastIndexOf('/') + 1) : '';
      const text = (await store.readSmall(titleId, file.version, manifestPath)).toString('utf8');
      const token = steering.token(titleId)?.token;
      const options = {
        pathways: ids.map((id) => ({ id, baseUrl: `${versionBase(id, file, token)}${dir}` })),
        serverUri: `${originBase(steering, request)}/v1/steering/${titleId}?${steeringQuery(session, query, ids)}`,
      };
      reply.header('cache-control', NO_STORE);
      return kind === 'hls'
        ? reply.type('application/vnd.apple.mpegurl').send(steeredHlsMaster(text, options))
        : reply.type('application/dash+xml').send(steeredMpd(text, options));
    };

  const playSchema = (what: string) => ({
    summary: `The title's ${what} with one pathway per ranked edge and the content steering server`,
    tags: ['steering'],
    params: { type: 'object', required: ['title'], properties: { title: { type: 'string' } } },
    querystring: { type: 'object', properties: CLIENT_QUERY_PROPERTIES },
    response: { 200: { type: 'string' }, ...errorResponses(400, 403, 404, 503) },
  });
  app.get('/play/:title/master.m3u8', { schema: playSchema('HLS master playlist') }, playHandler('hls'));
  app.get('/play/:title/manifest.mpd', { schema: playSchema('DASH MPD') }, playHandler('dash'));
  return Promise.resolve();
}

/** The lowest rung's peak rate (lowest video plus lowest audio), in bit/s; undefined without video. */
export function lowestRungBps(file: TitleFile): number | undefined {
  const lowest = (type: 'video' | 'audio'): number | undefined => {
    const rates = file.tracks.filter((t) => t.type === type).map((t) => t.peakBandwidthBps);
    return rates.length === 0 ? undefined : Math.min(...rates);
  };
  const video = lowest('video');
  return video === undefined ? undefined : video + (lowest('audio') ?? 0);
}

/** `GET /v1/edges`: every registered edge with its state (behind the API or read token). */
export function steeringAdminPlugin(
  app: FastifyInstance,
  opts: { steering: SteeringService },
): Promise<void> {
  const { steering } = opts;
  app.get(
    '/edges',
    {
      config: { readScope: true },
      schema: {
        summary: 'Registered edges: state, health, load, drain flag, heartbeat age, prefix counts',
        tags: ['steering'],
        security: [{ bearer: [] }],
        response: {
          200: {
            type: 'object',
            properties: {
              edges: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    cluster: { type: 'string' },
                    publicUrl: { type: 'string' },
                    state: { type: 'string' },
                    health: { type: 'string' },
                    draining: { type: 'boolean' },
                    capacityGbps: { type: 'number' },
                    loadGbps: { type: 'number' },
                    utilisation: { type: 'number' },
                    registeredAt: { type: 'string' },
                    lastHeartbeatAt: { type: 'string' },
                    heartbeatAgeS: { type: 'number' },
                    prefixes: {
                      type: 'object',
                      properties: { ipv4: { type: 'integer' }, ipv6: { type: 'integer' } },
                    },
                    cachedTitles: { type: 'integer' },
                  },
                },
              },
              routeTable: {
                type: 'object',
                properties: { ipv4: { type: 'integer' }, ipv6: { type: 'integer' } },
              },
            },
          },
          401: ERROR_SCHEMA,
          403: ERROR_SCHEMA,
        },
      },
    },
    (_request, reply) =>
      reply
        .header('cache-control', NO_STORE)
        .send({ edges: steering.status(), routeTable: steering.edges.routes.size }),
  );
  return Promise.resolve();
}
