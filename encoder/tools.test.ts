import { describe, expect, it } from 'vitest';
import { CdnError } from '../common/errors.js';
import { encoderToolsConfigFromEnv } from './config.js';
import { parseProgressSeconds } from './ffmpeg.js';
import { detectTools, parseLibvmafFlavour, resolveVmafSetup } from './tools.js';

const v1Help = `Filter libvmaf
  Calculate the VMAF between two video streams.
libvmaf AVOptions:
  model_path        <string>     ..FV..... Set the model to be used for computing vmaf.
  log_path          <string>     ..FV..... Set the file path to be used to store logs.
`;
const v2Help = `Filter libvmaf
libvmaf AVOptions:
   log_path          <string>     ..FV....... Set the file path to be used to write log.
   model             <string>     ..FV....... Set the model to be used for computing vmaf. (default "version=vmaf_v0.6.1")
`;

describe('libvmaf detection', () => {
  it('tells libvmaf 1.x (model_path) from 2.x (model) and from none', () => {
    expect(parseLibvmafFlavour(v1Help)).toBe('libvmaf1');
    expect(parseLibvmafFlavour(v2Help)).toBe('libvmaf2');
    expect(parseLibvmafFlavour("Unknown filter 'libvmaf'.")).toBe('none');
    expect(parseLibvmafFlavour('')).toBe('none');
  });

  it('resolves the VMAF setup or says how to get VMAF', () => {
    const base = { modelExists: true, modelSidecarExists: true };
    expect(resolveVmafSetup({ ...base, flavour: 'libvmaf1', modelPath: '/m/vmaf_v0.6.1.pkl' })).toEqual({
      flavour: 'libvmaf1',
      modelPath: '/m/vmaf_v0.6.1.pkl',
    });
    expect(resolveVmafSetup({ ...base, flavour: 'libvmaf2', modelPath: undefined })).toEqual({
      flavour: 'libvmaf2',
      modelPath: undefined,
      builtInVersion: 'vmaf_v0.6.1',
    });
    const cases: [Parameters<typeof resolveVmafSetup>[0], string][] = [
      [{ ...base, flavour: 'none', modelPath: '/m/x.pkl' }, 'ENC_ERR_VMAF_UNAVAILABLE'],
      [{ ...base, flavour: 'libvmaf1', modelPath: undefined }, 'ENC_ERR_VMAF_MODEL_MISSING'],
      [
        { ...base, flavour: 'libvmaf1', modelPath: '/m/x.pkl', modelExists: false },
        'ENC_ERR_VMAF_MODEL_MISSING',
      ],
      [
        { ...base, flavour: 'libvmaf1', modelPath: '/m/x.pkl', modelSidecarExists: false },
        'ENC_ERR_VMAF_MODEL_MISSING',
      ],
      [{ ...base, flavour: 'libvmaf1', modelPath: '/m/x.json' }, 'ENC_ERR_VMAF_MODEL_INCOMPATIBLE'],
      [{ ...base, flavour: 'libvmaf2', modelPath: '/m/x.pkl' }, 'ENC_ERR_VMAF_MODEL_INCOMPATIBLE'],
    ];
    for (const [input, code] of cases) {
      const result = resolveVmafSetup(input);
      expect(result).toBeInstanceOf(CdnError);
      expect((result as CdnError).code).toBe(code);
      expect((result as CdnError).message).toMatch(/--metric psnr/);
    }
  });

  it('reads FFmpeg progress lines in microseconds', () => {
    expect(parseProgressSeconds('out_time_us=2500000')).toBe(2.5);
    expect(parseProgressSeconds('out_time_ms=1000000')).toBe(1);
    expect(parseProgressSeconds('out_time=00:00:02.500000')).toBeUndefined();
    expect(parseProgressSeconds('progress=continue')).toBeUndefined();
  });
});

describe('detectTools with the bundled FFmpeg', () => {
  it('finds FFmpeg 4.1 with libvmaf 1.x', async () => {
    const tools = await detectTools({ ...encoderToolsConfigFromEnv(), vmafModelPath: undefined });
    expect(tools.ffmpegVersion).toMatch(/^ffmpeg version/);
    expect(tools.libvmaf).toBe('libvmaf1');
    expect(tools.vmaf).toBeInstanceOf(CdnError);
  });
  it('fails with ENC_ERR_FFMPEG_NOT_FOUND for a missing binary, naming the variable to set', async () => {
    await expect(
      detectTools({ ...encoderToolsConfigFromEnv(), ffmpegPath: '/nonexistent/ffmpeg' }),
    ).rejects.toMatchObject({
      code: 'ENC_ERR_FFMPEG_NOT_FOUND',
      message: expect.stringContaining('FFMPEG_PATH'),
    });
  });
});

describe('encoderToolsConfigFromEnv', () => {
  it('prefers the environment and falls back to the bundled binaries', () => {
    const env = encoderToolsConfigFromEnv({ FFMPEG_PATH: '/opt/ff/ffmpeg', VMAF_MODEL_PATH: ' ' });
    expect(env.ffmpegPath).toBe('/opt/ff/ffmpeg');
    expect(env.ffprobePath).toMatch(/ffprobe$/);
    expect(env.vmafModelPath).toBeUndefined();
  });
});

describe('error statuses', () => {
  it('map each encoder code to the HTTP status docs/errors.md gives it', async () => {
    const { readFile } = await import('node:fs/promises');
    const { EncoderErrorCode, encoderError } = await import('./errors.js');
    const docs = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8');
    for (const code of Object.values(EncoderErrorCode)) {
      const row = new RegExp('`' + code + '`\\s*\\|\\s*(\\d{3})\\s*\\|').exec(docs);
      expect(row, code).not.toBeNull();
      expect(encoderError(code, 'x').statusCode, code).toBe(Number(row![1]));
    }
  });
});
