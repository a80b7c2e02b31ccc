import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encoderToolsConfigFromEnv } from '../encoder/config.js';
import { makeSyntheticSource } from '../encoder/synthetic.js';
import { runCdn, type CliRun } from '../test/helpers/cli.js';

/** Runs the `cdn` command from source; `onStderr` may interrupt it. */
function cdn(args: string[], onStderr?: (text: string, child: ChildProcess) => void): Promise<CliRun> {
  return runCdn(args, onStderr === undefined ? {} : { onStderr });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('cdn command line', () => {
  let dir: string;
  let source: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cdn-cli-test-'));
    source = await makeSyntheticSource(
      encoderToolsConfigFromEnv().ffmpegPath,
      { pattern: 'moderate', resolution: { width: 320, height: 180 }, durationS: 3, fps: 25, audio: true },
      join(dir, 'source.mp4'),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shows help for the command and every subcommand with exit 0', async () => {
    const top = await cdn(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/encode/);
    expect(top.stdout).toMatch(/demo/);
    const encode = await cdn(['encode', '--help']);
    expect(encode.code).toBe(0);
    expect(encode.stdout).toMatch(/--compare-fixed/);
    expect(encode.stdout).toMatch(/VMAF_MODEL_PATH/);
    const demo = await cdn(['demo', '--help']);
    expect(demo.code).toBe(0);
    const pack = await cdn(['package', '--help']);
    expect(pack.code).toBe(0);
    expect(pack.stdout).toMatch(/SHAKA_PACKAGER_PATH/);
  });

  it('exits 2 on bad usage with a message naming the problem', async () => {
    const cases: [string[], RegExp][] = [
      [['encode'], /required option '-o, --out/],
      [['encode', source], /--out/],
      [['encode', source, '--out', join(dir, 'x'), '--target', 'abc'], /--target must be a number/],
      [
        ['encode', source, '--out', join(dir, 'x'), '--metric', 'mos'],
        /Allowed choices are vmaf, psnr, ssim/,
      ],
      [['encode', source, '--out', join(dir, 'x'), '--resolutions', '1280by720'], /CDN_ERR_USAGE.*1280by720/],
      [['encode', source, '--out', join(dir, 'x'), '--floor', '99'], /ENC_ERR_INVALID_OPTIONS.*floorQuality/],
      [['nonsense'], /unknown command/],
      [['package', dir], /required option '-o, --out/],
      [['package', dir, '--out', join(dir, 'x'), '--min-buffer-time', '-1'], /--min-buffer-time/],
      [
        ['encode', source, '--out', join(dir, 'x'), '--title-id', 'abc'],
        /CDN_ERR_USAGE.*--title-id needs --package/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await cdn(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
    }
    expect(await exists(join(dir, 'x'))).toBe(false);
  });

  it('exits 1 with the error code when the source cannot be encoded, writing nothing', async () => {
    const r = await cdn(['encode', join(dir, 'missing.mp4'), '--out', join(dir, 'never')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error ENC_ERR_SOURCE_NOT_FOUND/);
    expect(await exists(join(dir, 'never'))).toBe(false);
  });

  it('encodes a small title and prints ladder.json with --json', async () => {
    const out = join(dir, 'psnr-out');
    const r = await cdn([
      'encode',
      source,
      '--out',
      out,
      '--metric',
      'psnr',
      '--resolutions',
      '320x180',
      '--preset',
      'ultrafast',
      '--sample-duration',
      '1',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const ladder = JSON.parse(r.stdout) as { metric: { name: string }; rungs: { file: string }[] };
    expect(ladder.metric.name).toBe('psnr');
    expect(ladder.rungs.length).toBeGreaterThan(0);
    expect(await exists(join(out, ladder.rungs[0]!.file))).toBe(true);
    // Not a terminal: plain progress lines.
    expect(r.stderr).toMatch(/\[probing +\d+%\]/);
  }, 180_000);

  it('encodes and packages in one go with --package, then cdn package repackages the renditions', async () => {
    const out = join(dir, 'both');
    const pkg = join(dir, 'both-package');
    const r = await cdn([
      'encode',
      source,
      '--out',
      out,
      '--metric',
      'psnr',
      '--resolutions',
      '320x180',
      '--preset',
      'ultrafast',
      '--sample-duration',
      '1',
      '--package',
      pkg,
      '--title-id',
      'cli-title',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/title cli-title version \d{8}T\d{6}Z-[0-9a-f]{12}/);
    expect(r.stdout).toMatch(/HLS .*master\.m3u8/);
    expect(r.stderr).toMatch(/\[packaging +\d+%\]/);
    expect((await readdir(pkg)).sort()).toEqual([
      'audio',
      'ladder.json',
      'manifest.mpd',
      'master.m3u8',
      'title.json',
      'video',
    ]);

    const again = await cdn(['package', out, '--out', join(dir, 'again'), '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { id: string }).id).toBe('again');
    const refused = await cdn(['package', out, '--out', join(dir, 'again')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error MANIFEST_ERR_OUTPUT_EXISTS/);
    const missing = await cdn(['package', join(dir, 'nothing-here'), '--out', join(dir, 'never2')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/error MANIFEST_ERR_RENDITION_MISSING/);
  }, 180_000);

  it('cancels cleanly on Ctrl-C: exit 1, no output, no partial files', async () => {
    const out = join(dir, 'cancelled');
    let sent = false;
    const r = await cdn(
      ['encode', source, '--out', out, '--metric', 'psnr', '--preset', 'ultrafast'],
      (text, child) => {
        if (!sent && /\[searching/.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    );
    expect(sent).toBe(true);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ENC_ERR_CANCELLED/);
    expect(await exists(out)).toBe(false);
    expect((await readdir(dir)).filter((n) => n.includes('.partial-'))).toEqual([]);
  }, 120_000);
});
