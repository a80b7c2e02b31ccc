// Minimal typings for the video.js parsers, used by tests as independent readers of our manifests.
declare module 'm3u8-parser' {
  export class Parser {
    constructor();
    push(chunk: string): void;
    end(): void;
    manifest: {
      playlists?: Array<{ uri: string; attributes: Record<string, unknown> }>;
      mediaGroups?: Record<string, Record<string, Record<string, { uri?: string; default?: boolean }>>>;
      segments: Array<{ uri: string; duration: number; map?: { uri: string } }>;
      targetDuration?: number;
      endList?: boolean;
      playlistType?: string;
      contentSteering?: { serverUri: string; pathwayId?: string };
      [key: string]: unknown;
    };
  }
}

declare module 'mpd-parser' {
  export interface MpdSegment {
    uri: string;
    resolvedUri: string;
    duration: number;
    /** 0-based position in the playlist, not the DASH $Number$. */
    number: number;
    map?: { uri: string; resolvedUri: string };
  }
  export interface MpdPlaylist {
    attributes: {
      NAME?: string;
      BANDWIDTH?: number;
      CODECS?: string;
      RESOLUTION?: { width: number; height: number };
      /** Set when the MPD has several BaseURLs with serviceLocation: one playlist per location. */
      serviceLocation?: string;
      [key: string]: unknown;
    };
    segments: MpdSegment[];
    targetDuration?: number;
  }
  export interface MpdManifest {
    duration: number;
    playlists: MpdPlaylist[];
    mediaGroups: { AUDIO: Record<string, Record<string, { playlists: MpdPlaylist[] }>> };
    contentSteering?: {
      serverURL: string;
      defaultServiceLocation?: string;
      queryBeforeStart?: boolean;
      proxyServerURL?: string;
      [key: string]: unknown;
    };
    [key: string]: unknown;
  }
  export function parse(manifestString: string, options?: { manifestUri?: string }): MpdManifest;
}
