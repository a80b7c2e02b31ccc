import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CdnError, isCdnError } from '../common/errors.js';
import { moveIntoPlace, pathExists, stagingPathFor } from '../common/files.js';
import { ladderFileSchema, type LadderFile } from '../encoder/index.js';
import { checkPackage, type CheckedTrack } from './check.js';
import { packagerToolsConfigFromEnv } from './config.js';
import { enrichManifests } from './enrich.js';
import { ManifestErrorCode, manifestError } from './errors.js';
import {
  buildPackagerArgs,
  PACKAGE_FILES,
  packagerVersion,
  runPackager,
  type PackagerTrack,
} from './packager.js';
import { averageRateBps, dashBandwidthBps, peakSegmentRateBps } from './rates.js';
import {
  TITLE_ID_PATTERN,
  TITLE_SCHEMA_VERSION,
  titleFileSchema,
  type TitleFile,
  type TitleFileRef,
  type TitleTrack,
} from './titleFile.js';

export type PackagePhase = 'reading' | 'packaging' | 'checking' | 'writing' | 'done';

export interface PackageProgress {
  phase: PackagePhase;
  /** Overall completion, 0..100. */
  percent: number;
  message: string;
}

export interface PackageOptions {
  /** The package directory to create. */
  outDir: string;
  /** Title id written to title.json; default: the output directory's name, lower-cased and cleaned. */
  titleId?: string;
  /** Replace an existing package directory. */
  overwrite?: boolean;
  /** DASH minBufferTime in seconds (default 2, shaka-packager's default). */
  minBufferTimeS?: number;
  /** Stop the packager after this long (default: 60 s plus 2 s per minute of content). */
  timeoutMs?: number;
}

export interface PackageHooks {
  signal?: AbortSignal;
  onProgress?: (progress: PackageProgress) => void;
  /** shaka-packager binary; from SHAKA_PACKAGER_PATH or the npm package otherwise. */
  packagerPath?: string;
  /** Clock for createdAt and the version (tests pin it). */
  now?: () => Date;
}

export interface PackageResult {
  outDir: string;
  title: TitleFile;
}

/** Default DASH minBufferTime, seconds: shaka-packager's own default, and what dash.js expects. */
const DEFAULT_MIN_BUFFER_TIME_S = 2;

const PHASE_SPAN: Record<Exclude<PackagePhase, 'done'>, [number, number]> = {
  reading: [0, 5],
  packaging: [5, 70],
  checking: [70, 90],
  writing: [90, 100],
};

/**
 * Packages an encoder output directory (`ladder.json` + renditions) into a title package: CMAF
 * segments shared by a static DASH MPD and an HLS master with media playlists, enriched with measured
 * rates and quality, plus `title.json`. The output appears only when everything succeeded and passed
 * the checks; a failure or cancellation leaves nothing behind.
 */
export async function packageTitle(
  renditionsDir: string,
  options: PackageOptions,
  hooks: PackageHooks = {},
): Promise<PackageResult> {
  const outDir = resolve(options.outDir);
  const inputDir = resolve(renditionsDir);
  const titleId = resolveTitleId(options.titleId, outDir);
  const minBufferTimeS = options.minBufferTimeS ?? DEFAULT_MIN_BUFFER_TIME_S;
  if (!(minBufferTimeS > 0 && minBufferTimeS <= 60)) {
    throw manifestError(
      ManifestErrorCode.InvalidOptions,
      `minBufferTimeS must be in (0, 60] (got ${minBufferTimeS})`,
    );
  }
  const signal = hooks.signal;
  const now = hooks.now ?? (() => new Date());
  const report = (phase: Exclude<PackagePhase, 'done'>, fraction: number, message: string): void => {
    const [from, to] = PHASE_SPAN[phase];
    hooks.onProgress?.({ phase, percent: Math.round(from + (to - from) * fraction), message });
  };

  if (!options.overwrite && (await pathExists(outDir))) {
    throw manifestError(
      ManifestErrorCode.OutputExists,
      `output ${outDir} already exists (use --force to replace it)`,
    );
  }
  report('reading', 0, `reading ${join(inputDir, PACKAGE_FILES.ladder)}`);
  const ladder = await readLadder(inputDir);
  const inputs = packagerInputs(ladder, inputDir);
  for (const input of inputs) await requireFile(input.sourcePath);
  const packagerPath = hooks.packagerPath ?? packagerToolsConfigFromEnv().packagerPath;
  const version = await packagerVersion(packagerPath, signal);

  const stagingDir = stagingPathFor(outDir);
  await mkdir(join(stagingDir, '.inputs'), { recursive: true });
  try {
    for (const input of inputs) await symlink(input.sourcePath, join(stagingDir, input.track.input));
    report('packaging', 0, `shaka-packager ${version}: ${inputs.length} tracks`);
    const timeoutMs = options.timeoutMs ?? 60_000 + (ladder.source.durationS / 60) * 2_000;
    await runPackager(
      packagerPath,
      buildPackagerArgs(
        inputs.map((i) => i.track),
        { segmentDurationS: ladder.segmentDurationS, minBufferTimeS },
      ),
      { cwd: stagingDir, timeoutMs, ...(signal ? { signal } : {}) },
    );
    await rm(join(stagingDir, '.inputs'), { recursive: true, force: true });

    report('checking', 0, 'checking the packager output');
    const files = await listFiles(stagingDir);
    const texts = await readManifestTexts(stagingDir, files);
    const checked = checkPackage({
      mpdText: texts.mpd,
      masterText: texts.master,
      mediaPlaylists: texts.mediaPlaylists,
      fileSizes: files,
      tracks: inputs.map((i) => i.track),
    });
    if (checked.problems.length > 0) {
      throw manifestError(
        ManifestErrorCode.PackageIncomplete,
        `the packager output failed the check: ${checked.problems.slice(0, 5).join('; ')}`,
        { details: { problems: checked.problems } },
      );
    }
    signal?.throwIfAborted();
    report('checking', 0.5, `hashing ${files.size} files`);
    const hashes = await hashFiles(stagingDir, [...files.keys()], signal);

    report('writing', 0, 'writing manifests and title.json');
    const tracks = titleTracks(checked.tracks, ladder, files, hashes, minBufferTimeS);
    const enriched = enrichManifests({ mpdText: texts.mpd, masterText: texts.master, tracks, ladder });
    await writeFile(join(stagingDir, PACKAGE_FILES.dash), enriched.mpdText);
    await writeFile(join(stagingDir, PACKAGE_FILES.hls), enriched.masterText);
    await copyFile(join(inputDir, PACKAGE_FILES.ladder), join(stagingDir, PACKAGE_FILES.ladder));
    // The rewritten manifests and the ladder join the version digest.
    for (const path of [PACKAGE_FILES.dash, PACKAGE_FILES.hls, PACKAGE_FILES.ladder]) {
      hashes.set(path, await hashFile(join(stagingDir, path)));
    }
    const title = buildTitle({
      sizes: await listFiles(stagingDir),
      hashes,
      titleId,
      ladder,
      tracks,
      now: now(),
      packagerVersion: version,
    });
    await writeFile(join(stagingDir, PACKAGE_FILES.title), `${JSON.stringify(title, null, 2)}\n`);
    signal?.throwIfAborted();
    await moveIntoPlace(stagingDir, outDir, {
      overwrite: options.overwrite ?? false,
      existsError: () => manifestError(ManifestErrorCode.OutputExists, `output ${outDir} already exists`),
    });
    report('writing', 1, `wrote ${outDir}`);
    hooks.onProgress?.({ phase: 'done', percent: 100, message: `${title.id} ${title.version} in ${outDir}` });
    return { outDir, title };
  } catch (err) {
    await rm(stagingDir, { recursive: true, force: true });
    if (signal?.aborted && !isCdnError(err, ManifestErrorCode.Cancelled)) {
      throw manifestError(ManifestErrorCode.Cancelled, 'packaging cancelled', { cause: err });
    }
    throw err;
  }
}

/** The title id from the option, or derived from the output directory's name. */
export function resolveTitleId(explicit: string | undefined, outDir: string): string {
  if (explicit !== undefined) {
    if (!TITLE_ID_PATTERN.test(explicit)) {
      throw manifestError(
        ManifestErrorCode.InvalidOptions,
        `title id ${JSON.stringify(explicit)} must match ${TITLE_ID_PATTERN.source} (lower-case letters, digits, '.', '_', '-'; at most 64)`,
      );
    }
    return explicit;
  }
  const derived = basename(outDir)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 64)
    .replace(/[-._]+$/, '');
  if (!TITLE_ID_PATTERN.test(derived)) {
    throw manifestError(
      ManifestErrorCode.InvalidOptions,
      `cannot derive a title id from ${JSON.stringify(basename(outDir))}; give one with --title-id`,
    );
  }
  return derived;
}

async function readLadder(inputDir: string): Promise<LadderFile> {
  const path = join(inputDir, PACKAGE_FILES.ladder);
  let text: string;
  try {
    const info = await stat(inputDir);
    if (!info.isDirectory()) throw new Error('not a directory');
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw manifestError(
      ManifestErrorCode.RenditionMissing,
      `${path} cannot be read (is ${inputDir} a directory written by cdn encode?): ${(err as Error).message}`,
      { cause: err },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw manifestError(ManifestErrorCode.LadderInvalid, `${path} is not JSON: ${(err as Error).message}`);
  }
  const parsed = ladderFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw manifestError(
      ManifestErrorCode.LadderInvalid,
      `${path} does not match the ladder schema: ${issues.join('; ')}`,
    );
  }
  return parsed.data;
}

interface PackagerInput {
  track: PackagerTrack;
  /** Absolute path of the rendition file. */
  sourcePath: string;
}

/** One packager track per rung and audio rendition; files must stay inside the renditions directory. */
function packagerInputs(ladder: LadderFile, inputDir: string): PackagerInput[] {
  const entries = [
    ...ladder.rungs.map((r) => ({ id: r.id, file: r.file, type: 'video' as const, language: undefined })),
    ...ladder.audio.map((a) => ({
      id: a.id,
      file: a.file,
      type: 'audio' as const,
      // 'und' (ISO 639-2 "undetermined") is what FFmpeg writes when the source names no language.
      language: a.language === null || a.language === 'und' ? undefined : a.language,
    })),
  ];
  return entries.map((entry) => {
    const sourcePath = resolve(inputDir, entry.file);
    const rel = relative(inputDir, sourcePath);
    if (isAbsolute(entry.file) || rel.startsWith('..') || rel === '' || rel.includes('\0')) {
      throw manifestError(
        ManifestErrorCode.LadderInvalid,
        `ladder.json names ${JSON.stringify(entry.file)} outside the renditions directory`,
      );
    }
    if (!/^[A-Za-z0-9_-]+$/.test(entry.id)) {
      throw manifestError(
        ManifestErrorCode.LadderInvalid,
        `ladder.json has a bad track id ${JSON.stringify(entry.id)}`,
      );
    }
    const track: PackagerTrack = {
      id: entry.id,
      type: entry.type,
      input: `.inputs/${entry.type}-${entry.id}.mp4`,
      ...(entry.language !== undefined && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(entry.language)
        ? { language: entry.language }
        : {}),
    };
    return { track, sourcePath };
  });
}

async function requireFile(path: string): Promise<void> {
  try {
    const info = await stat(path);
    if (info.isFile() && info.size > 0) return;
  } catch {
    // reported below
  }
  throw manifestError(ManifestErrorCode.RenditionMissing, `rendition ${path} is missing or empty`);
}

/** Every file under the directory, as `/`-separated relative path → size in bytes. */
async function listFiles(root: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) sizes.set(relative(root, path).split(sep).join('/'), (await stat(path)).size);
    }
  };
  await walk(root);
  return sizes;
}

async function readManifestTexts(
  root: string,
  files: ReadonlyMap<string, number>,
): Promise<{ mpd: string; master: string; mediaPlaylists: Map<string, string> }> {
  const read = async (path: string): Promise<string> => {
    if (!files.has(path)) {
      throw manifestError(ManifestErrorCode.PackageIncomplete, `the packager wrote no ${path}`);
    }
    return readFile(join(root, path), 'utf8');
  };
  const mediaPlaylists = new Map<string, string>();
  for (const path of files.keys()) {
    if (path.endsWith('.m3u8') && path !== PACKAGE_FILES.hls) mediaPlaylists.set(path, await read(path));
  }
  return { mpd: await read(PACKAGE_FILES.dash), master: await read(PACKAGE_FILES.hls), mediaPlaylists };
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function hashFiles(
  root: string,
  paths: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const path of paths) {
    signal?.throwIfAborted();
    hashes.set(path, await hashFile(join(root, path)));
  }
  return hashes;
}

function fileRef(
  path: string,
  sizes: ReadonlyMap<string, number>,
  hashes: ReadonlyMap<string, string>,
): TitleFileRef {
  const sizeBytes = sizes.get(path);
  const sha256 = hashes.get(path);
  if (sizeBytes === undefined || sha256 === undefined) {
    throw manifestError(ManifestErrorCode.PackageIncomplete, `${path} is missing from the package`);
  }
  return { path, sizeBytes, sha256 };
}

/** title.json tracks: checked layout plus sizes, hashes, rates from the packaged bytes, measured quality. */
function titleTracks(
  checked: readonly CheckedTrack[],
  ladder: LadderFile,
  sizes: ReadonlyMap<string, number>,
  hashes: ReadonlyMap<string, string>,
  minBufferTimeS: number,
): TitleTrack[] {
  return checked.map((track) => {
    const segments = track.segments.map((s) => ({ ...s, ...fileRef(s.path, sizes, hashes) }));
    const rung = track.type === 'video' ? ladder.rungs.find((r) => r.id === track.id) : undefined;
    const audio = track.type === 'audio' ? ladder.audio.find((a) => a.id === track.id) : undefined;
    const out: TitleTrack = {
      id: track.id,
      type: track.type,
      codecs: track.codecs,
      peakBandwidthBps: Math.max(1, peakSegmentRateBps(segments)),
      averageBandwidthBps: Math.max(1, averageRateBps(segments)),
      dashBandwidthBps: Math.max(1, dashBandwidthBps(segments, minBufferTimeS)),
      playlist: track.playlist,
      init: fileRef(track.init, sizes, hashes),
      segments,
    };
    if (track.width !== undefined) out.width = track.width;
    if (track.height !== undefined) out.height = track.height;
    if (track.type === 'video') out.frameRate = ladder.frameRate.num / ladder.frameRate.den;
    if (audio) {
      out.channels = audio.channels;
      out.sampleRateHz = audio.sampleRateHz;
      if (audio.language !== null) out.language = audio.language;
    }
    if (rung?.quality) {
      out.quality = {
        metric: ladder.metric.name,
        mean: rung.quality.mean,
        harmonicMean: rung.quality.harmonicMean,
        p5: rung.quality.p5,
      };
    }
    return out;
  });
}

function buildTitle(input: {
  sizes: ReadonlyMap<string, number>;
  hashes: ReadonlyMap<string, string>;
  titleId: string;
  ladder: LadderFile;
  tracks: TitleTrack[];
  now: Date;
  packagerVersion: string;
}): TitleFile {
  // The version digest covers every file's name, size and content (manifests and ladder included).
  const digest = createHash('sha256');
  for (const path of [...input.sizes.keys()].sort()) {
    digest.update(`${path}\0${input.sizes.get(path)}\0${input.hashes.get(path) ?? ''}\n`);
  }
  const stamp = input.now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const durationS = Math.max(
    ...input.tracks
      .filter((t) => t.type === 'video')
      .map((t) => t.segments.reduce((sum, s) => sum + s.durationS, 0)),
  );
  const title: TitleFile = {
    schemaVersion: TITLE_SCHEMA_VERSION,
    id: input.titleId,
    version: `${stamp}-${digest.digest('hex').slice(0, 12)}`,
    createdAt: input.now.toISOString(),
    durationS: Math.round(durationS * 1000) / 1000,
    segmentDurationS: input.ladder.segmentDurationS,
    manifests: { dash: PACKAGE_FILES.dash, hls: PACKAGE_FILES.hls },
    ladder: PACKAGE_FILES.ladder,
    tracks: input.tracks,
    totalSizeBytes: [...input.sizes.values()].reduce((a, b) => a + b, 0),
    packager: { name: 'shaka-packager', version: input.packagerVersion },
  };
  const checked = titleFileSchema.safeParse(title);
  if (!checked.success) {
    throw new CdnError('CDN_ERR_INTERNAL', `title.json failed its own schema: ${checked.error.message}`);
  }
  return title;
}
