import { parseMpd, writeMpd, type BaseUrl } from '../../manifests/dash/index.js';
import { parseHlsMaster, writeHlsPlaylist } from '../../manifests/hls/index.js';

/**
 * Pinning the unversioned top manifests to one version: a player that loads
 * `/content/{title}/manifest.mpd` or `master.m3u8` must fetch every playlist and segment from the
 * same version, even when a publish switches the title in between. The manifests are rewritten so
 * that their relative URIs resolve under `v/{version}/` (the versioned path, immutable), through the
 * DASH and HLS libraries of manifests/ (parse, edit the model, write).
 */

/** True when a URI is a relative-path reference (no scheme, not network- or root-relative): RFC 3986 §4.2. */
export function isRelativePathUri(uri: string): boolean {
  return uri !== '' && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri) && !uri.startsWith('/') && !uri.startsWith('#');
}

/**
 * The MPD with an MPD-level `<BaseURL>{prefix}</BaseURL>` (ISO/IEC 23009-1 §5.6: relative URLs of
 * the MPD resolve against it, and it against the MPD's own URL). Existing relative MPD-level
 * BaseURLs are prefixed instead; absolute ones are left alone. Throws MANIFEST_ERR_PARSE for an MPD
 * that does not parse.
 */
export function pinDashManifest(mpdText: string, prefix: string): string {
  const mpd = parseMpd(mpdText);
  const relative = mpd.baseUrls.filter((u) => isRelativePathUri(u.url));
  const absolute = mpd.baseUrls.filter((u) => !isRelativePathUri(u.url));
  const pinned: BaseUrl[] =
    relative.length > 0
      ? relative.map((u) => ({ ...u, url: `${prefix}${u.url}` }))
      : absolute.length > 0
        ? []
        : [{ url: prefix }];
  return writeMpd({ ...mpd, baseUrls: [...pinned, ...absolute] });
}

/**
 * The HLS master with `prefix` before every relative variant, I-frame, rendition and session-data
 * URI (URIs resolve against the playlist's own URL, RFC 8216 §4.1). The content-steering server URI
 * is left alone: it is not version content. Throws MANIFEST_ERR_PARSE for a playlist that does not parse.
 */
export function pinHlsMaster(text: string, prefix: string): string {
  const master = structuredClone(parseHlsMaster(text));
  const pin = (uri: string): string => (isRelativePathUri(uri) ? `${prefix}${uri}` : uri);
  for (const v of [...master.variants, ...master.iFrameVariants]) v.uri = pin(v.uri);
  for (const r of master.renditions) if (r.uri !== undefined) r.uri = pin(r.uri);
  for (const d of master.sessionData) if (d.uri !== undefined) d.uri = pin(d.uri);
  return writeHlsPlaylist(master);
}
