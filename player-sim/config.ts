/** The player's buffer settings: one zod schema with defaults, validated and frozen by loadConfig. */
import { z } from 'zod';
import { loadConfig } from '../common/config.js';

export const playerConfigSchema = z
  .object({
    /**
     * Most media kept ahead of the playhead, ms: the player waits before requesting a segment that
     * would overfill it. 25 s is Sabre's default `--max-buffer` (so figures compare with its results).
     */
    maxBufferMs: z.number().positive().max(3_600_000).default(25_000),
    /**
     * Playback starts once this much media is buffered, ms; 0 starts after the first segment, as Sabre
     * and Pensieve's simulator do.
     */
    startupBufferMs: z.number().min(0).max(3_600_000).default(0),
    /** After a stall, playback resumes once this much is buffered, ms; 0 resumes with the next segment. */
    rebufferResumeMs: z.number().min(0).max(3_600_000).default(0),
    /**
     * Longest idle delay a strategy may ask for before a request, ms (BOLA waits rather than fill its
     * buffer with low rungs); longer asks are cut to this.
     */
    maxAbrDelayMs: z.number().min(0).max(3_600_000).default(60_000),
  })
  .strict()
  .refine((c) => c.startupBufferMs <= c.maxBufferMs, {
    message: 'startupBufferMs must not exceed maxBufferMs',
    path: ['startupBufferMs'],
  })
  .refine((c) => c.rebufferResumeMs <= c.maxBufferMs, {
    message: 'rebufferResumeMs must not exceed maxBufferMs',
    path: ['rebufferResumeMs'],
  });

export type PlayerConfig = z.output<typeof playerConfigSchema>;
export type PlayerConfigInput = z.input<typeof playerConfigSchema>;

/** Validated, frozen player settings (defaults filled); CDN_ERR_CONFIG_INVALID naming the key otherwise. */
export function resolvePlayerConfig(input: PlayerConfigInput = {}): Readonly<PlayerConfig> {
  return loadConfig(playerConfigSchema, input, 'player config');
}
