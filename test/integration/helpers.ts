/**
 * Helpers of the cross-part integration tests: a really encoded and packaged title (FFmpeg and
 * shaka-packager, a few seconds), plain HTTP reads and bounded polling. A real origin publishing
 * the title: startTestOrigin (test/steering/helpers.ts) with `packages`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { encodeTitle, encoderToolsConfigFromEnv, makeSyntheticSource } from '../../encoder/index.js';
import { packageTitle, type TitleFile } from '../../manifests/index.js';

/**
 * A 4 s lavfi title at 192x108, encoded (PSNR, ultrafast: quality is not under test) and packaged
 * by shaka-packager into CMAF DASH + HLS: real manifests with relative URIs. About 3 s on 2 cores.
 */
export async function packageRealTitle(
  root: string,
  titleId: string,
): Promise<{ dir: string; title: TitleFile }> {
  const tools = encoderToolsConfigFromEnv();
  await mkdir(root, { recursive: true });
  const source = await makeSyntheticSource(
    tools.ffmpegPath,
    { pattern: 'simple', resolution: { width: 192, height: 108 }, durationS: 4, fps: 25, audio: true },
    join(root, `${titleId}-source.mp4`),
  );
  const encoded = await encodeTitle(source, {
    outDir: join(root, `${titleId}-renditions`),
    metric: 'psnr',
    resolutions: [{ width: 192, height: 108 }],
    preset: 'ultrafast',
    sampleDurationS: 2,
    // 192x108 needs far less than the default floor rate.
    floorBitrateKbps: 20,
    segmentDurationS: 2,
    gopDurationS: 2,
  });
  const packaged = await packageTitle(encoded.outDir, { outDir: join(root, `${titleId}-package`), titleId });
  return { dir: packaged.outDir, title: packaged.title };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

/** GET with bounded waits, the whole body read. */
export async function get(url: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const res = await request(url, { headers, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const body = Buffer.from(await res.body.arrayBuffer());
  return {
    status: res.statusCode,
    headers: res.headers,
    body,
    text: body.toString('utf8'),
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
  };
}

/** Polls `check` until it returns a value (not undefined or false); fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
