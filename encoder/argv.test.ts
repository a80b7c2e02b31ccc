import { describe, expect, it } from 'vitest';
import {
  buildAudioEncodeArgs,
  buildQualityArgs,
  buildSampleExtractArgs,
  buildVideoEncodeArgs,
  escapeFilterValue,
  frameRateText,
  sampleWindows,
} from './argv.js';

function valueAfter(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

describe('sampleWindows', () => {
  it('spreads windows evenly, centred in equal slices, inside the title', () => {
    expect(sampleWindows(120, 3, 4)).toEqual([
      { startS: 18, durationS: 4 },
      { startS: 58, durationS: 4 },
      { startS: 98, durationS: 4 },
    ]);
  });
  it('measures the whole title when the samples would cover most of it', () => {
    expect(sampleWindows(10, 2, 4)).toEqual([{ startS: 0, durationS: 10 }]);
    expect(sampleWindows(6, 1, 8)).toEqual([{ startS: 0, durationS: 6 }]);
  });
});

describe('buildVideoEncodeArgs', () => {
  const base = {
    inputPath: 'in.mp4',
    outPath: 'out.mp4',
    resolution: { width: 1280, height: 720 },
    frameRate: { num: 30000, den: 1001 },
    preset: 'medium',
    gopFrames: 60,
    threads: 2,
  };
  it('builds capped CRF with closed, fixed, scene-cut-free GOPs for aligned rungs', () => {
    const args = buildVideoEncodeArgs({
      ...base,
      rateControl: { kind: 'capped-crf', crf: 23.5, maxrateKbps: 4000, bufsizeKbps: 8000 },
    });
    expect(valueAfter(args, '-crf')).toBe('23.5');
    expect(valueAfter(args, '-maxrate')).toBe('4000k');
    expect(valueAfter(args, '-bufsize')).toBe('8000k');
    expect(valueAfter(args, '-g')).toBe('60');
    expect(valueAfter(args, '-keyint_min')).toBe('60');
    expect(valueAfter(args, '-sc_threshold')).toBe('0');
    expect(valueAfter(args, '-x264-params')).toBe('open-gop=0');
    expect(valueAfter(args, '-profile:v')).toBe('high');
    expect(valueAfter(args, '-pix_fmt')).toBe('yuv420p');
    expect(valueAfter(args, '-vf')).toBe(
      'fps=30000/1001,scale=1280:720:flags=lanczos,setsar=1,format=yuv420p',
    );
    expect(args).toContain('-an');
    expect(args).not.toContain('-b:v');
    expect(args.at(-1)).toBe('out.mp4');
  });
  it('builds average bitrate with a ceiling for fixed ladders', () => {
    const args = buildVideoEncodeArgs({
      ...base,
      rateControl: { kind: 'abr', bitrateKbps: 3000, maxrateKbps: 3300, bufsizeKbps: 6600 },
    });
    expect(valueAfter(args, '-b:v')).toBe('3000k');
    expect(valueAfter(args, '-maxrate')).toBe('3300k');
    expect(args).not.toContain('-crf');
  });
});

describe('buildAudioEncodeArgs', () => {
  it('encodes the chosen audio stream to AAC-LC stereo 48 kHz', () => {
    const args = buildAudioEncodeArgs({
      sourcePath: 's.mov',
      audioIndex: 1,
      outPath: 'a.mp4',
      bitrateKbps: 128,
    });
    expect(valueAfter(args, '-map')).toBe('0:a:1');
    expect(valueAfter(args, '-c:a')).toBe('aac');
    expect(valueAfter(args, '-profile:a')).toBe('aac_low');
    expect(valueAfter(args, '-ac')).toBe('2');
    expect(valueAfter(args, '-ar')).toBe('48000');
    expect(args).toContain('-vn');
  });
});

describe('buildSampleExtractArgs', () => {
  it('cuts each window with input seeking and concatenates them losslessly', () => {
    const args = buildSampleExtractArgs({
      sourcePath: 'src.mp4',
      windows: [
        { startS: 10, durationS: 4 },
        { startS: 50, durationS: 4 },
      ],
      frameRate: { num: 25, den: 1 },
      outPath: 'samples.mp4',
    });
    expect(args.filter((a) => a === '-i')).toHaveLength(2);
    expect(valueAfter(args, '-ss')).toBe('10');
    expect(valueAfter(args, '-filter_complex')).toBe(
      '[0:v:0]fps=25,setpts=PTS-STARTPTS,format=yuv420p[s0];[1:v:0]fps=25,setpts=PTS-STARTPTS,format=yuv420p[s1];[s0][s1]concat=n=2:v=1:a=0[ref]',
    );
    expect(valueAfter(args, '-qp')).toBe('0');
  });
  it('uses no concat for a single window', () => {
    const args = buildSampleExtractArgs({
      sourcePath: 's',
      windows: [{ startS: 0, durationS: 6 }],
      frameRate: { num: 30, den: 1 },
      outPath: 'o',
    });
    expect(valueAfter(args, '-filter_complex')).toBe('[0:v:0]fps=30,setpts=PTS-STARTPTS,format=yuv420p[ref]');
  });
});

describe('buildQualityArgs', () => {
  const base = {
    distortedPath: 'd.mp4',
    referencePath: 'r.mp4',
    referenceResolution: { width: 1920, height: 1080 },
    frameRate: { num: 24, den: 1 },
    logPath: '/tmp/w/vmaf.json',
    threads: 2,
    subsample: 5,
  };
  it('upscales the distorted video bicubic to the reference and synchronises frames (libvmaf 1.x)', () => {
    const args = buildQualityArgs({
      ...base,
      metric: 'vmaf',
      vmaf: { flavour: 'libvmaf1', modelPath: '/m/vmaf_v0.6.1.pkl' },
    });
    expect(valueAfter(args, '-filter_complex')).toBe(
      '[0:v:0]scale=1920:1080:flags=bicubic,fps=24,setpts=PTS-STARTPTS,format=yuv420p[dist];' +
        '[1:v:0]fps=24,setpts=PTS-STARTPTS,format=yuv420p[ref];' +
        '[dist][ref]libvmaf=model_path=/m/vmaf_v0.6.1.pkl:log_fmt=json:log_path=/tmp/w/vmaf.json:n_threads=2:n_subsample=5',
    );
    expect(args.slice(-3)).toEqual(['-f', 'null', '-']);
  });
  it('uses model= for libvmaf 2.x, built-in or from a file', () => {
    const builtIn = valueAfter(
      buildQualityArgs({
        ...base,
        metric: 'vmaf',
        vmaf: { flavour: 'libvmaf2', modelPath: undefined, builtInVersion: 'vmaf_v0.6.1' },
      }),
      '-filter_complex',
    );
    expect(builtIn).toContain('libvmaf=model=version=vmaf_v0.6.1:log_fmt=json');
    const file = valueAfter(
      buildQualityArgs({
        ...base,
        metric: 'vmaf',
        vmaf: { flavour: 'libvmaf2', modelPath: '/m/v.json', builtInVersion: 'vmaf_v0.6.1' },
      }),
      '-filter_complex',
    );
    expect(file).toContain('libvmaf=model=path=/m/v.json:log_fmt=json');
  });
  it('writes PSNR and SSIM stats files', () => {
    expect(valueAfter(buildQualityArgs({ ...base, metric: 'psnr' }), '-filter_complex')).toMatch(
      /\[dist\]\[ref\]psnr=stats_file=\/tmp\/w\/vmaf.json$/,
    );
    expect(valueAfter(buildQualityArgs({ ...base, metric: 'ssim' }), '-filter_complex')).toMatch(
      /ssim=stats_file=/,
    );
  });
  it('refuses vmaf without a setup', () => {
    expect(() => buildQualityArgs({ ...base, metric: 'vmaf' })).toThrow(TypeError);
  });
});

describe('escapeFilterValue', () => {
  it('leaves plain paths alone and escapes both filtergraph levels otherwise', () => {
    expect(escapeFilterValue('/a/b-c_d.pkl')).toBe('/a/b-c_d.pkl');
    // ':' is escaped for the option parser (\:), then the backslash for the graph parser (\\:).
    expect(escapeFilterValue('C:/x')).toBe('C\\\\:/x');
    expect(escapeFilterValue('a,b')).toBe('a\\,b');
    expect(escapeFilterValue("it's")).toBe("it\\\\\\'s");
  });
  it('formats frame rates', () => {
    expect(frameRateText({ num: 25, den: 1 })).toBe('25');
    expect(frameRateText({ num: 30000, den: 1001 })).toBe('30000/1001');
  });
});
