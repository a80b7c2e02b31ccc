import { describe, expect, it } from 'vitest';
import { CdnError } from '../../common/errors.js';
import { toJsonText } from '../commands/demo.js';
import { chooseMetric } from './run.js';

describe('chooseMetric', () => {
  const noModel = { vmaf: new CdnError('ENC_ERR_VMAF_MODEL_MISSING', 'VMAF_MODEL_PATH is not set') };
  const model = { vmaf: { kind: 'libvmaf1', modelPath: '/m/vmaf_v0.6.1.pkl' } } as never;

  it('VMAF when a model is there, PSNR (saying why) when not, the asked metric always', () => {
    expect(chooseMetric(undefined, model)).toEqual({ metric: 'vmaf', note: 'metric VMAF' });
    const fallback = chooseMetric(undefined, noModel);
    expect(fallback.metric).toBe('psnr');
    expect(fallback.note).toContain('VMAF_MODEL_PATH is not set');
    expect(chooseMetric('ssim', model).metric).toBe('ssim');
    expect(chooseMetric('vmaf', noModel).metric).toBe('vmaf');
  });
});

describe('toJsonText', () => {
  it('writes unmeasured ratios (NaN, Infinity) as null, not as invalid JSON', () => {
    const text = toJsonText({ hitRatio: Number.NaN, offload: Number.POSITIVE_INFINITY, ok: 0.5 });
    expect(JSON.parse(text)).toEqual({ hitRatio: null, offload: null, ok: 0.5 });
    expect(text.endsWith('\n')).toBe(true);
  });
});
