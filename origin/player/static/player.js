/**
 * The web player. Reads `?title=&format=dash|hls&session=&client_ip=`, asks the steering control
 * plane for this client's ranked edges (`/v1/steer`), then plays the title's steered manifest (one
 * content steering pathway per ranked edge, `/v1/play/{title}/manifest.mpd|master.m3u8`) with
 * shaka-player (DASH) or hls.js (HLS), CMCD on, and shows the live rung, buffer, bandwidth estimate
 * and which edge served each segment (the last member of its Cache-Status, RFC 9211 §2).
 *
 * Optional knobs: `buffer_s` (seconds buffered ahead), `dropped_frames_abr=off` (shaka's
 * dropped-frame ABR restriction, which software decoding on small machines trips).
 *
 * Everything it knows is on `window.__player` (tests and tools read it): status, events, errors,
 * position, rung, buffer, bandwidth estimate, and `servedBy`, one entry per segment.
 */

/** Events and segments kept in `window.__player`, each: a few minutes of 1–4 s segments. */
const MAX_KEPT = 500;
/** Segment rows shown in the table (the newest). */
const MAX_ROWS = 40;
/** How often the live panel is refreshed, in ms: four times a second follows the buffer smoothly. */
const REFRESH_MS = 250;
/** Seconds buffered ahead by default: the players' own defaults (shaka 10 s, hls.js 30 s) are for long titles. */
const DEFAULT_BUFFER_S = 10;
/** Title ids as the origin accepts them (manifests/titleId.ts). */
const TITLE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const params = new URLSearchParams(location.search);

const state = {
  /** idle | steering | loading | playing | buffering | paused | ended | error */
  status: 'idle',
  format: params.get('format') ?? 'dash',
  title: params.get('title') ?? '',
  session: params.get('session') ?? '',
  clientIp: params.get('client_ip') ?? '',
  /** Library and version. */
  player: '',
  /** The /v1/steer answer. */
  steer: undefined,
  /** Ranked edge ids, best first. */
  edges: [],
  manifestUrl: '',
  /** `{atMs, type, detail}`: player and page events, oldest first. */
  events: [],
  /** `{atMs, source, code, message, fatal}`. */
  errors: [],
  positionS: 0,
  maxPositionS: 0,
  bufferAheadS: 0,
  bandwidthEstimateBps: undefined,
  /** `{width, height, bandwidthBps}` of the video rung playing. */
  rung: undefined,
  /** `{atMs, type, url, edge, cacheStatus, bytes}`, one per segment, oldest first. */
  servedBy: [],
  /** The edge that served the last segment. */
  edge: undefined,
  /** How often the serving edge changed. */
  edgeChanges: 0,
};
window.__player = state;

const $ = (selector) => document.querySelector(selector);
const video = $('#video');
const startedMs = performance.now();

function keep(list, item) {
  list.push(item);
  if (list.length > MAX_KEPT) list.splice(0, list.length - MAX_KEPT);
}

function event(type, detail) {
  keep(state.events, { atMs: Math.round(performance.now() - startedMs), type, detail });
}

function error(source, code, message, fatal) {
  const entry = {
    atMs: Math.round(performance.now() - startedMs),
    source,
    code: String(code),
    message,
    fatal,
  };
  keep(state.errors, entry);
  event('error', entry);
  if (fatal) state.status = 'error';
  const li = document.createElement('li');
  li.textContent = `${fatal ? 'fatal' : 'recovered'} ${source} ${entry.code}: ${message}`;
  $('#errors').append(li);
}

/**
 * The node that answered (the last cache in the Cache-Status list is the one nearest the client,
 * RFC 9211 §2); without the header, the ranked edge whose origin the URL is on.
 */
function servingEdge(url, cacheStatus) {
  if (cacheStatus) {
    const last = cacheStatus.split(',').at(-1).trim();
    const name = last.split(';')[0].trim();
    if (name !== '') return name.replace(/^"(.*)"$/, '$1');
  }
  try {
    const origin = new URL(url).origin;
    return state.steer?.edges.find((e) => new URL(e.baseUrl).origin === origin)?.id;
  } catch {
    return undefined;
  }
}

function recordSegment(type, url, cacheStatus, bytes) {
  const edge = servingEdge(url, cacheStatus);
  const entry = { atMs: Math.round(performance.now() - startedMs), type, url, edge, cacheStatus, bytes };
  keep(state.servedBy, entry);
  if (edge !== undefined && state.edge !== undefined && edge !== state.edge) {
    state.edgeChanges++;
    event('edge-change', { from: state.edge, to: edge });
  }
  if (edge !== undefined) state.edge = edge;
  const row = document.createElement('tr');
  // The object within the title version (the token and version directory are the same for all).
  const path = new URL(url).pathname;
  const object = /\/v\/[^/]+\/(.+)$/.exec(path)?.[1] ?? path;
  for (const text of [state.servedBy.length, type, edge ?? '?', cacheStatus ?? '–', object, bytes ?? '–']) {
    const cell = document.createElement('td');
    cell.textContent = String(text);
    row.append(cell);
  }
  const body = $('#segments');
  body.prepend(row);
  while (body.rows.length > MAX_ROWS) body.deleteRow(-1);
}

/** Seconds buffered ahead of the playhead. */
function bufferAheadS() {
  const t = video.currentTime;
  for (let i = 0; i < video.buffered.length; i++) {
    if (video.buffered.start(i) <= t + 0.1 && t < video.buffered.end(i)) return video.buffered.end(i) - t;
  }
  return 0;
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

/** Bandwidth in a short human unit. */
function rate(bps) {
  if (bps === undefined || !Number.isFinite(bps)) return '–';
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mbit/s` : `${Math.round(bps / 1e3)} kbit/s`;
}

// ---- DASH: shaka-player -------------------------------------------------------------------------

async function playDash(manifestUrl, bufferS, droppedFramesAbr) {
  await loadScript('/player/vendor/shaka-player.compiled.js');
  const shaka = window.shaka;
  shaka.polyfill.installAll();
  if (!shaka.Player.isBrowserSupported()) throw new PageError('unsupported', 'shaka-player cannot play here');
  state.player = `shaka-player ${shaka.Player.version}`;
  const player = new shaka.Player();
  await player.attach(video);
  player.configure({
    streaming: { bufferingGoal: bufferS, rebufferingGoal: Math.min(2, bufferS) },
    abr: { droppedFrames: droppedFramesAbr },
    // CTA-5004 data on every request, in the query (no CORS preflight): the edge prefetches `nor`.
    cmcd: { enabled: true, sessionId: state.session, contentId: state.title, useHeaders: false },
  });
  const codeName = (code) =>
    Object.entries(shaka.util.Error.Code).find(([, value]) => value === code)?.[0] ?? String(code);
  player.addEventListener('error', (e) => {
    const detail = e.detail;
    error(
      'shaka',
      codeName(detail.code),
      `category ${detail.category}: ${JSON.stringify(detail.data).slice(0, 300)}`,
      detail.severity === shaka.util.Error.Severity.CRITICAL,
    );
  });
  player.addEventListener('variantchanged', () => event('rung-change', player.getStats().height));
  player.addEventListener('adaptation', () => event('rung-change', player.getStats().height));
  player.addEventListener('buffering', (e) => event(e.buffering ? 'buffering' : 'buffered'));
  const net = player.getNetworkingEngine();
  const { RequestType, AdvancedRequestType } = shaka.net.NetworkingEngine;
  net.addEventListener('retry', (e) => event('retry', e.error ? codeName(e.error.code) : undefined));
  net.registerResponseFilter((type, response, context) => {
    if (type !== RequestType.SEGMENT) {
      if (type === RequestType.MANIFEST || type === RequestType.CONTENT_STEERING)
        event(type === RequestType.MANIFEST ? 'manifest' : 'steering-manifest', response.uri);
      return;
    }
    const init = context?.type === AdvancedRequestType.INIT_SEGMENT;
    const kind = context?.stream?.type ?? 'segment';
    recordSegment(
      init ? `${kind} init` : kind,
      response.uri,
      response.headers['cache-status'],
      response.data.byteLength,
    );
  });
  const stats = () => {
    const s = player.getStats();
    const variant = player.getVariantTracks().find((t) => t.active);
    return {
      rung: variant
        ? { width: variant.width, height: variant.height, bandwidthBps: variant.bandwidth }
        : undefined,
      bandwidthEstimateBps: s.estimatedBandwidth,
    };
  };
  try {
    await player.load(manifestUrl);
  } catch (err) {
    throw new PageError(codeName(err.code), `loading the manifest: ${err.message ?? err}`, 'shaka');
  }
  return stats;
}

// ---- HLS: hls.js ----------------------------------------------------------------------------------

async function playHls(manifestUrl, bufferS) {
  const { default: Hls } = await import('/player/vendor/hls.min.mjs');
  if (!Hls.isSupported()) throw new PageError('unsupported', 'hls.js cannot play here (no Media Source)');
  state.player = `hls.js ${Hls.version}`;
  const hls = new Hls({
    maxBufferLength: bufferS,
    maxMaxBufferLength: bufferS,
    // CTA-5004 data on every request, in the query (no CORS preflight): the edge prefetches `nor`.
    cmcd: { sessionId: state.session, contentId: state.title, useHeaders: false },
    // Content steering (EXT-X-CONTENT-STEERING) is on whenever the playlist carries the tag.
  });
  hls.on(Hls.Events.ERROR, (_name, data) => {
    error('hls.js', data.details, data.error?.message ?? data.reason ?? data.type, data.fatal);
  });
  hls.on(Hls.Events.LEVEL_SWITCHED, (_name, data) => event('rung-change', hls.levels[data.level]?.height));
  hls.on(Hls.Events.STEERING_MANIFEST_LOADED, (_name, data) =>
    event('steering-manifest', data.steeringManifest?.['PATHWAY-PRIORITY']),
  );
  hls.on(Hls.Events.MANIFEST_LOADED, (_name, data) => event('manifest', data.url));
  hls.on(Hls.Events.FRAG_LOADED, (_name, data) => {
    const details = data.networkDetails;
    let url = data.frag.url;
    let cacheStatus = null;
    if (details && typeof details.getResponseHeader === 'function') {
      url = details.responseURL || url;
      cacheStatus = details.getResponseHeader('cache-status');
    } else if (details?.headers?.get) {
      url = details.url || url;
      cacheStatus = details.headers.get('cache-status');
    }
    const kind = data.frag.type === 'audio' ? 'audio' : 'video';
    const init = data.frag.sn === 'initSegment';
    recordSegment(init ? `${kind} init` : kind, url, cacheStatus ?? undefined, data.payload?.byteLength);
  });
  await new Promise((resolve, reject) => {
    hls.once(Hls.Events.MANIFEST_PARSED, resolve);
    hls.on(Hls.Events.ERROR, (_name, data) => {
      if (data.fatal) reject(new PageError(data.details, data.error?.message ?? 'fatal', 'hls.js', true));
    });
    hls.loadSource(manifestUrl);
    hls.attachMedia(video);
  });
  return () => {
    const level = hls.levels[hls.currentLevel];
    return {
      rung: level ? { width: level.width, height: level.height, bandwidthBps: level.bitrate } : undefined,
      bandwidthEstimateBps: hls.bandwidthEstimate,
    };
  };
}

// ---- the page ---------------------------------------------------------------------------------------

/** A failure that stops the page: a bad parameter, steering refused, a player that cannot load. */
class PageError extends Error {
  constructor(code, message, source = 'page', reported = false) {
    super(message);
    this.code = code;
    this.source = source;
    /** Already in state.errors (a player error event). */
    this.reported = reported;
  }
}

async function steer() {
  const query = new URLSearchParams({ title: state.title });
  if (state.session) query.set('session', state.session);
  if (state.clientIp) query.set('client_ip', state.clientIp);
  const res = await fetch(`/v1/steer?${query}`, { cache: 'no-store' });
  const body = await res.json().catch(() => ({}));
  if (!res.ok)
    throw new PageError(body.error ?? `http-${res.status}`, body.message ?? res.statusText, 'steering');
  return body;
}

function showSteering(answer) {
  $('#steering-summary').textContent =
    `client ${answer.clientIp} (${answer.clientIpSource}): ${answer.outcome}` +
    (answer.matchedPrefix ? ` ${answer.matchedPrefix}` : '') +
    `; session ${answer.session}; version ${answer.version}`;
  const list = $('#edges');
  list.replaceChildren();
  for (const edge of answer.edges) {
    const li = document.createElement('li');
    li.textContent = `${edge.id} (${edge.cluster}) — ${edge.tier}: ${edge.reason}`;
    li.dataset.edge = edge.id;
    list.append(li);
  }
}

function render() {
  const set = (field, text) => {
    const el = document.querySelector(`[data-field="${field}"]`);
    if (el.textContent !== text) el.textContent = text;
  };
  set('state', state.status);
  set('player', state.player || '–');
  set('position', `${state.positionS.toFixed(1)} s`);
  set(
    'rung',
    state.rung ? `${state.rung.width}×${state.rung.height} at ${rate(state.rung.bandwidthBps)}` : '–',
  );
  set('buffer', `${state.bufferAheadS.toFixed(1)} s`);
  set('bandwidth', rate(state.bandwidthEstimateBps));
  set('edge', state.edge ?? '–');
  set('failovers', String(state.edgeChanges));
  for (const li of $('#edges').children) li.classList.toggle('serving', li.dataset.edge === state.edge);
}

function watchVideo() {
  video.addEventListener('playing', () => {
    state.status = 'playing';
    event('playing');
  });
  video.addEventListener('waiting', () => {
    if (state.status !== 'error') state.status = 'buffering';
    event('waiting');
  });
  video.addEventListener('pause', () => {
    if (state.status === 'playing') state.status = 'paused';
  });
  video.addEventListener('ended', () => {
    state.status = 'ended';
    event('ended');
  });
  video.addEventListener('error', () => {
    const e = video.error;
    if (e) error('media', `MEDIA_ERR_${e.code}`, e.message || 'the media element failed', true);
  });
}

async function main() {
  const form = $('#choose');
  for (const name of ['title', 'format', 'client_ip', 'session']) {
    const value = params.get(name);
    if (value !== null) form.elements[name].value = value;
  }
  setInterval(() => {
    state.positionS = video.currentTime;
    state.maxPositionS = Math.max(state.maxPositionS, video.currentTime);
    state.bufferAheadS = bufferAheadS();
    render();
  }, REFRESH_MS);
  if (state.title === '') return;
  if (!TITLE_PATTERN.test(state.title))
    throw new PageError('bad-title', `title ${JSON.stringify(state.title)} is not a title id`);
  if (state.format !== 'dash' && state.format !== 'hls')
    throw new PageError('bad-format', `format must be dash or hls, not ${JSON.stringify(state.format)}`);
  const bufferS = Number(params.get('buffer_s') ?? DEFAULT_BUFFER_S);
  if (!(bufferS >= 1 && bufferS <= 600))
    throw new PageError('bad-buffer', 'buffer_s must be 1 to 600 seconds');
  const droppedFramesAbr = params.get('dropped_frames_abr') !== 'off';

  state.status = 'steering';
  const answer = await steer();
  state.steer = answer;
  state.session = answer.session;
  state.edges = answer.edges.map((e) => e.id);
  event('steered', state.edges);
  showSteering(answer);

  state.status = 'loading';
  state.manifestUrl = state.format === 'dash' ? answer.steering.dash : answer.steering.hls;
  watchVideo();
  const stats =
    state.format === 'dash'
      ? await playDash(state.manifestUrl, bufferS, droppedFramesAbr)
      : await playHls(state.manifestUrl, bufferS);
  setInterval(() => Object.assign(state, stats()), REFRESH_MS);
  event('loaded', state.manifestUrl);
  try {
    await video.play();
  } catch (err) {
    state.status = 'paused';
    event('autoplay-refused', err.message);
  }
}

main().catch((err) => {
  if (err instanceof PageError && err.reported) return;
  const page = err instanceof PageError;
  error(
    page ? err.source : 'page',
    page ? err.code : (err?.name ?? 'failed'),
    err?.message ?? String(err),
    true,
  );
  render();
});
