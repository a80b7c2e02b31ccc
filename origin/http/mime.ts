/**
 * Media types by file name. Segments and init segments of audio tracks (`audio/...`) are `audio/mp4`,
 * all other fMP4 is `video/mp4` (RFC 4337; CMAF segments carry the same brands).
 */
export function mimeTypeFor(path: string): string {
  const lower = path.toLowerCase();
  const dot = lower.lastIndexOf('.');
  const ext = dot === -1 ? '' : lower.slice(dot + 1);
  switch (ext) {
    case 'mpd':
      return 'application/dash+xml';
    case 'm3u8':
      return 'application/vnd.apple.mpegurl';
    case 'mp4':
    case 'm4s':
    case 'cmfv':
    case 'cmfa':
      return lower.startsWith('audio/') || ext === 'cmfa' ? 'audio/mp4' : 'video/mp4';
    case 'm4a':
      return 'audio/mp4';
    case 'json':
      return 'application/json; charset=utf-8';
    case 'vtt':
      return 'text/vtt; charset=utf-8';
    default:
      return 'application/octet-stream';
  }
}
