/** Settings of the player's HTTP shell: one zod schema with defaults, validated and frozen by loadConfig. */
import { z } from 'zod';
import { loadConfig } from '../../common/config.js';

/** How CMCD (CTA-5004) travels: request headers (the default), the `CMCD` query parameter, or not at all. */
export const CMCD_MODES = ['header', 'query', 'off'] as const;
export type CmcdMode = (typeof CMCD_MODES)[number];

export const MANIFEST_FORMATS = ['dash', 'hls'] as const;
export type ManifestFormat = (typeof MANIFEST_FORMATS)[number];

const MIB = 1024 * 1024;

export const httpPlayerConfigSchema = z
  .strictObject({
    /** Manifest format played: the DASH MPD or the HLS playlists. */
    format: z.enum(MANIFEST_FORMATS).default('dash'),
    cmcd: z.enum(CMCD_MODES).default('header'),
    /**
     * Time to the response headers of one request, ms: hls.js's fragment `maxTimeToFirstByteMs`
     * (10 s). Past it the request is given up and the next edge tried.
     */
    requestTimeoutMs: z.number().int().min(1).max(600_000).default(10_000),
    /**
     * Longest silence of a response body while the player is reading, ms. Time the player itself
     * holds the body back (the trace's rate) does not count. 5 s: two segments' worth of a healthy
     * 2.5 s-segment stream, long after any loopback or LAN hiccup.
     */
    stallTimeoutMs: z.number().int().min(1).max(600_000).default(5000),
    /** Largest manifest, playlist or steering answer read into memory, bytes (a 2 h title's MPD is < 1 MiB). */
    maxManifestBytes: z
      .number()
      .int()
      .min(1024)
      .max(256 * MIB)
      .default(16 * MIB),
    /**
     * Times steering is asked for edges when every ranked edge has failed (the first answer
     * included): 3 gives steering two chances to notice a failed edge (its heartbeats time out).
     */
    steerRounds: z.number().int().min(1).max(20).default(3),
    /** Pause before asking steering again after every edge failed, ms: about one heartbeat interval. */
    steerRetryDelayMs: z.number().int().min(0).max(60_000).default(1000),
    /** Follow the content steering server (HLS PATHWAY-PRIORITY / DASH SERVICE-LOCATION-PRIORITY). */
    contentSteering: z.boolean().default(true),
    /** Real time: how often progress reaches the ABR strategy during a download, ms (the engine asks 50-100). */
    progressIntervalMs: z.number().int().min(10).max(10_000).default(100),
  })
  .prefault({});

export type HttpPlayerConfig = z.output<typeof httpPlayerConfigSchema>;
export type HttpPlayerConfigInput = z.input<typeof httpPlayerConfigSchema>;

/** Validated, frozen HTTP settings (defaults filled); CDN_ERR_CONFIG_INVALID naming the key otherwise. */
export function resolveHttpPlayerConfig(input: HttpPlayerConfigInput = {}): Readonly<HttpPlayerConfig> {
  return loadConfig(httpPlayerConfigSchema, input, 'player HTTP config');
}
