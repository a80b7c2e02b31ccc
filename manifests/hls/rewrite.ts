/**
 * Rewriting playlists for delivery: absolute URIs on the serving host, URL tokens on every URI this
 * CDN serves, and HLS content steering with one pathway per edge (bis §4.4.6.6 and Apple's "HLS
 * Content Steering Specification"). Pure: the input model is never changed, the result shares no
 * objects with it.
 *
 * Left alone on purpose:
 * - EXT-X-KEY / EXT-X-SESSION-KEY URIs: they point at a key or licence server, not at content this
 *   CDN serves, so they are neither re-based nor given our tokens;
 * - URIs inside unknown tags (`extraTags`, e.g. LL-HLS EXT-X-PART): they stay as written;
 * - EXT-X-DEFINE variables are not substituted: a URI holding `{$name}` is resolved as written.
 */
import { ManifestErrorCode, manifestError } from '../errors.js';
import { PATHWAY_ID_PATTERN } from '../steering.js';
import type {
  HlsIFrameVariant,
  HlsMap,
  HlsMasterPlaylist,
  HlsMediaPlaylist,
  HlsRendition,
  HlsVariant,
} from './types.js';
import { requireAbsoluteUrl, resolveUri, withQueryParams } from './url.js';

export interface HlsRewriteOptions {
  /**
   * Absolute URL relative URIs are resolved against, with WHATWG URL rules: the URL the playlist is
   * served at, or its directory with a trailing `/`. Absolute URIs are kept.
   */
  baseUrl?: string;
  /** Query parameters (URL tokens) set on every URI this CDN serves, replacing ones of the same name. */
  query?: Readonly<Record<string, string>>;
}

export interface HlsSteeringPathway {
  /** PATHWAY-ID: characters from [a-zA-Z0-9._-] only (bis §4.4.6.6). */
  id: string;
  /**
   * Where this pathway's copies of the variant and rendition playlists are (absolute, or relative to
   * `baseUrl`).
   */
  baseUrl: string;
}

export interface HlsSteeringOptions {
  /** SERVER-URI of the steering manifest; gets the `query` parameters too. */
  serverUri: string;
  /** One pathway per edge; the first is the default unless `defaultPathwayId` says otherwise. */
  pathways: readonly HlsSteeringPathway[];
  defaultPathwayId?: string;
}

export interface HlsMasterRewriteOptions extends HlsRewriteOptions {
  /** Adds content steering: every variant and rendition group once per pathway. */
  steering?: HlsSteeringOptions;
}

/** Segment and EXT-X-MAP URIs resolved against `baseUrl` and given the `query` parameters. */
export function rewriteHlsMedia(media: HlsMediaPlaylist, options: HlsRewriteOptions): HlsMediaPlaylist {
  const rewrite = uriRewriter(baseOf(options), options.query);
  const out = structuredClone(media);
  const maps = new Map<HlsMap, HlsMap>(); // a map shared by segments stays shared
  for (const segment of out.segments) {
    segment.uri = rewrite(segment.uri);
    const map = segment.map;
    if (map) {
      const rewritten = maps.get(map) ?? { ...map, uri: rewrite(map.uri) };
      maps.set(map, rewritten);
      segment.map = rewritten;
    }
  }
  return out;
}

/**
 * Variant, rendition, I-frame, session data and steering server URIs resolved against `baseUrl` and
 * given the `query` parameters; with `steering`, cloned once per pathway.
 */
export function rewriteHlsMaster(
  master: HlsMasterPlaylist,
  options: HlsMasterRewriteOptions,
): HlsMasterPlaylist {
  const base = baseOf(options);
  const rewrite = uriRewriter(base, options.query);
  const out = structuredClone(master);
  for (const d of out.sessionData) if (d.uri !== undefined) d.uri = rewrite(d.uri);
  if (options.steering) return steer(out, options.steering, base, options.query);
  for (const v of [...out.variants, ...out.iFrameVariants]) v.uri = rewrite(v.uri);
  for (const r of out.renditions) if (r.uri !== undefined) r.uri = rewrite(r.uri);
  if (out.contentSteering) out.contentSteering.serverUri = rewrite(out.contentSteering.serverUri);
  return out;
}

function baseOf(options: HlsRewriteOptions): string | undefined {
  return options.baseUrl === undefined ? undefined : requireAbsoluteUrl(options.baseUrl, 'baseUrl');
}

function uriRewriter(base: string | undefined, query: HlsRewriteOptions['query']): (uri: string) => string {
  return (uri) => withQueryParams(resolveUri(uri, base), query);
}

function invalid(message: string): Error {
  return manifestError(ManifestErrorCode.Invalid, `HLS content steering: ${message}`);
}

// ---------------------------------------------------------------------------------------------------
// Content steering

/** Rendition types whose groups are cloned per pathway; CLOSED-CAPTIONS are in-band (no URI) and shared. */
const CLONED_TYPES: ReadonlySet<string> = new Set(['AUDIO', 'VIDEO', 'SUBTITLES']);

interface Pathway {
  id: string;
  rewrite: (uri: string) => string;
  /** Pathway-specific GROUP-ID of a cloned group. */
  group: (groupId: string | undefined) => string | undefined;
}

/**
 * Pathway cloning done in the playlist: per pathway, a copy of every variant with PATHWAY-ID and its
 * URI on that pathway's host, and of every rendition group with a pathway-specific GROUP-ID that
 * the pathway's variants reference (bis §4.4.6.6: the variants and renditions of one pathway are the
 * ones carrying its PATHWAY-ID and the groups those reference).
 */
function steer(
  master: HlsMasterPlaylist,
  steering: HlsSteeringOptions,
  base: string | undefined,
  query: HlsRewriteOptions['query'],
): HlsMasterPlaylist {
  checkSteerable(master, steering);
  const clonedGroups = clonedGroupIds(master, steering.pathways);
  const pathways = steering.pathways.map((p): Pathway => {
    const pathwayBase = requireAbsoluteUrl(resolveUri(p.baseUrl, base), `pathway ${p.id} baseUrl`);
    return {
      id: p.id,
      rewrite: uriRewriter(pathwayBase, query),
      group: (g) => (g !== undefined && clonedGroups.has(g) ? `${g}-${p.id}` : g),
    };
  });
  const renditions = cloneRenditions(master.renditions, pathways);
  const variants = pathways.flatMap((p) => master.variants.map((v) => cloneVariant(v, p)));
  const iFrameVariants = pathways.flatMap((p) => master.iFrameVariants.map((v) => cloneIFrameVariant(v, p)));
  const pathwayId = steering.defaultPathwayId ?? steering.pathways[0]?.id;
  const serverUri = uriRewriter(base, query)(steering.serverUri);
  const contentSteering = pathwayId === undefined ? { serverUri } : { serverUri, pathwayId };
  return { ...master, renditions, variants, iFrameVariants, contentSteering };
}

function checkSteerable(master: HlsMasterPlaylist, steering: HlsSteeringOptions): void {
  const variants = [...master.variants, ...master.iFrameVariants];
  if (master.contentSteering || variants.some((v) => v.pathwayId !== undefined)) {
    throw invalid('the playlist already has content steering');
  }
  if (steering.pathways.length === 0) throw invalid('no pathways');
  const ids = new Set<string>();
  for (const { id } of steering.pathways) {
    const shown = JSON.stringify(id);
    if (!PATHWAY_ID_PATTERN.test(id))
      throw invalid(`pathway id ${shown} has characters outside [a-zA-Z0-9._-]`);
    if (ids.has(id)) throw invalid(`pathway id ${shown} is listed twice`);
    ids.add(id);
  }
  const first = steering.defaultPathwayId;
  if (first !== undefined && !ids.has(first))
    throw invalid(`default pathway ${JSON.stringify(first)} is not a pathway`);
}

/** The GROUP-IDs cloned per pathway as `<group>-<pathway>`; refused if two clones would get the same id. */
function clonedGroupIds(
  master: HlsMasterPlaylist,
  pathways: readonly HlsSteeringPathway[],
): Set<string | undefined> {
  const groups = new Set(
    master.renditions
      .filter((r) => CLONED_TYPES.has(r.type) && r.groupId !== undefined)
      .map((r) => r.groupId),
  );
  const made = new Set<string>();
  for (const p of pathways) {
    for (const g of groups) {
      const id = `${g}-${p.id}`;
      if (made.has(id)) throw invalid(`group id ${JSON.stringify(id)} would be made twice: rename a group`);
      made.add(id);
    }
  }
  return groups;
}

function cloneRenditions(renditions: readonly HlsRendition[], pathways: readonly Pathway[]): HlsRendition[] {
  const shared = renditions.filter((r) => !CLONED_TYPES.has(r.type));
  const cloned = pathways.flatMap((p) =>
    renditions
      .filter((r) => CLONED_TYPES.has(r.type))
      .map((r) =>
        withOptional(structuredClone(r), { groupId: p.group(r.groupId), uri: mapDefined(r.uri, p.rewrite) }),
      ),
  );
  return [...shared, ...cloned];
}

function cloneVariant(v: HlsVariant, p: Pathway): HlsVariant {
  return withOptional(
    { ...structuredClone(v), uri: p.rewrite(v.uri), pathwayId: p.id },
    {
      audioGroupId: p.group(v.audioGroupId),
      videoGroupId: p.group(v.videoGroupId),
      subtitlesGroupId: p.group(v.subtitlesGroupId),
    },
  );
}

function cloneIFrameVariant(v: HlsIFrameVariant, p: Pathway): HlsIFrameVariant {
  return withOptional(
    { ...structuredClone(v), uri: p.rewrite(v.uri), pathwayId: p.id },
    { videoGroupId: p.group(v.videoGroupId) },
  );
}

function mapDefined<T, U>(value: T | undefined, f: (value: T) => U): U | undefined {
  return value === undefined ? undefined : f(value);
}

/** Sets the defined values of `patch` on `target` (optional properties stay absent, never undefined). */
function withOptional<T extends object>(target: T, patch: { [K in keyof T]?: T[K] | undefined }): T {
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
  return target;
}
