/**
 * A lavfi title really encoded (FFmpeg, PSNR, ultrafast: quality is not under test) and packaged
 * by shaka-packager into CMAF DASH + HLS, for cross-part tests that need media a real player or
 * edge can use. A few seconds on two cores for a short, small title.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeTitle,
  encoderToolsConfigFromEnv,
  makeSyntheticSource,
  type SyntheticPattern,
} from '../../encoder/index.js';
import { packageTitle, type TitleFile } from '../../manifests/index.js';

export interface LavfiTitleSpec {
  titleId: string;
  durationS: number;
  /** Resolutions the ladder search may use; the first is the source's. */
  resolutions: readonly { width: number; height: number }[];
  /** Segment and GOP length, s. */
  segmentDurationS: number;
  /** Default `simple` (the fastest to encode). */
  pattern?: SyntheticPattern;
  /** A stereo tone track; default true. */
  audio?: boolean;
}

/** Encodes and packages the title under `root`; the package directory is ready to publish. */
export async function packageLavfiTitle(
  root: string,
  spec: LavfiTitleSpec,
): Promise<{ dir: string; title: TitleFile }> {
  const tools = encoderToolsConfigFromEnv();
  await mkdir(root, { recursive: true });
  const source = await makeSyntheticSource(
    tools.ffmpegPath,
    {
      pattern: spec.pattern ?? 'simple',
      resolution: spec.resolutions[0]!,
      durationS: spec.durationS,
      fps: 25,
      audio: spec.audio ?? true,
    },
    join(root, `${spec.titleId}-source.mp4`),
  );
  const encoded = await encodeTitle(source, {
    outDir: join(root, `${spec.titleId}-renditions`),
    metric: 'psnr',
    resolutions: [...spec.resolutions],
    preset: 'ultrafast',
    sampleDurationS: 2,
    // Small test resolutions need far less than the default floor rate, in kbit/s.
    floorBitrateKbps: 20,
    segmentDurationS: spec.segmentDurationS,
    gopDurationS: spec.segmentDurationS,
  });
  const packaged = await packageTitle(encoded.outDir, {
    outDir: join(root, `${spec.titleId}-package`),
    titleId: spec.titleId,
  });
  return { dir: packaged.outDir, title: packaged.title };
}
