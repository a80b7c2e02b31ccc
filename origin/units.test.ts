import { describe, expect, it } from 'vitest';
import { summarizeTitle } from './catalog.js';
import { loadOriginConfig, originConfigFromInput, originEnvInput } from './config.js';
import { canTransition, isFinalState, jobStateForEncodePhase, overallPercent } from './jobs/states.js';
import { JOB_STATES } from './jobs/types.js';
import { toHttpError } from './plugins/errors.js';
import { DecayedCounter } from './popularity.js';
import { safeUploadName } from './ingest.js';
import { ORIGIN_STATUS, OriginErrorCode, originError } from './errors.js';

describe('DecayedCounter', () => {
  const t0 = 1_000_000;
  it('halves a score every half-life', () => {
    const c = new DecayedCounter(60);
    c.add('a', t0);
    c.add('a', t0);
    expect(c.score('a', t0)).toBe(2);
    expect(c.score('a', t0 + 60_000)).toBeCloseTo(1, 10);
    expect(c.score('a', t0 + 120_000)).toBeCloseTo(0.5, 10);
    expect(c.score('missing', t0)).toBe(0);
  });
  it('decays the old value before adding, and never grows backwards in time', () => {
    const c = new DecayedCounter(10);
    c.add('a', t0);
    c.add('a', t0 + 10_000);
    expect(c.score('a', t0 + 10_000)).toBeCloseTo(1.5, 10);
    c.add('a', t0 + 5_000); // a late event counts in full, at the latest time
    expect(c.score('a', t0 + 10_000)).toBeCloseTo(2.5, 10);
  });
  it('ranks titles hottest first and drops the coldest beyond its capacity', () => {
    const c = new DecayedCounter(60, 4);
    for (let i = 0; i < 5; i++) c.add('old', t0);
    c.add('new', t0 + 600_000);
    c.add('new', t0 + 600_000);
    expect(c.top(t0 + 600_000, 10).map((e) => e.key)).toEqual(['new', 'old']);
    expect(c.top(t0 + 600_000, 1).map((e) => e.key)).toEqual(['new']);
    for (const k of ['x', 'y', 'z']) c.add(k, t0 + 600_000);
    expect(c.size).toBeLessThanOrEqual(4);
    expect(c.score('new', t0 + 600_000)).toBeCloseTo(2, 10);
    expect(() => new DecayedCounter(0)).toThrow();
  });
});

describe('job states', () => {
  it('has exactly the states of the issue', () => {
    expect(JOB_STATES).toEqual([
      'queued',
      'probing',
      'searching',
      'encoding',
      'packaging',
      'publishing',
      'done',
      'failed',
      'cancelled',
    ]);
  });
  it('maps encoder phases onto job states', () => {
    expect(jobStateForEncodePhase('probing')).toBe('probing');
    expect(jobStateForEncodePhase('searching')).toBe('searching');
    for (const p of ['encoding', 'measuring', 'comparing', 'writing', 'done'] as const)
      expect(jobStateForEncodePhase(p)).toBe('encoding');
  });
  it('moves forward only, ends from any running state, and never leaves a final state', () => {
    expect(canTransition('queued', 'probing')).toBe(true);
    expect(canTransition('queued', 'encoding')).toBe(true);
    expect(canTransition('encoding', 'searching')).toBe(false);
    expect(canTransition('encoding', 'encoding')).toBe(false);
    expect(canTransition('searching', 'failed')).toBe(true);
    expect(canTransition('queued', 'cancelled')).toBe(true);
    expect(canTransition('packaging', 'done')).toBe(false);
    expect(canTransition('publishing', 'done')).toBe(true);
    for (const final of ['done', 'failed', 'cancelled'] as const) {
      expect(isFinalState(final)).toBe(true);
      for (const to of JOB_STATES) expect(canTransition(final, to)).toBe(false);
    }
  });
  it('spreads stage progress over the overall percentage', () => {
    expect(overallPercent('encode', 0)).toBe(0);
    expect(overallPercent('encode', 100)).toBe(85);
    expect(overallPercent('package', 50)).toBe(91);
    expect(overallPercent('publish', 100)).toBe(100);
    expect(overallPercent('publish', 250)).toBe(100);
  });
});

describe('origin config', () => {
  const base = { dataDir: '/d', ingestDir: '/i', apiToken: 'x'.repeat(16) };
  it('fills defaults and freezes', () => {
    const c = originConfigFromInput(base);
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      jobConcurrency: 1,
      versionRetention: 3,
      uploadMaxBytes: 2 ** 31,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('refuses to run without a token unless auth is disabled, naming the key', () => {
    expect(() => originConfigFromInput({ dataDir: '/d', ingestDir: '/i' })).toThrow(/apiToken: required/);
    expect(
      originConfigFromInput({ dataDir: '/d', ingestDir: '/i', authDisabled: true }).apiToken,
    ).toBeUndefined();
    expect(() => originConfigFromInput({ ...base, apiToken: 'short' })).toThrow(/apiToken/);
    expect(() => originConfigFromInput({ ...base, port: 70000 })).toThrow(/port/);
    expect(() => originConfigFromInput({ ...base, typo: 1 })).toThrow(/typo/);
  });
  it('reads the environment, and flags win over it', async () => {
    const env = {
      ORIGIN_API_TOKEN: 't'.repeat(20),
      ORIGIN_DATA_DIR: '/env-data',
      ORIGIN_PORT: '9000',
      ORIGIN_INGEST_DIR: '/in',
    };
    expect(originEnvInput(env)).toEqual({
      apiToken: 't'.repeat(20),
      dataDir: '/env-data',
      port: 9000,
      ingestDir: '/in',
    });
    const c = await loadOriginConfig({ env, flags: { port: 1234 } });
    expect(c).toMatchObject({ dataDir: '/env-data', port: 1234 });
    await expect(loadOriginConfig({ env: { ...env, ORIGIN_PORT: 'eighty' } })).rejects.toThrow(/port/);
    await expect(loadOriginConfig({ configPath: '/nonexistent/origin.json', env })).rejects.toMatchObject({
      code: 'CDN_ERR_CONFIG_INVALID',
    });
  });
});

describe('HTTP error mapping', () => {
  it('keeps our errors and maps fastify and multipart codes', () => {
    const ours = originError(OriginErrorCode.TitleNotFound, 'x');
    expect(toHttpError(ours)).toBe(ours);
    const mapped = (code: string, statusCode = 400) =>
      toHttpError(Object.assign(new Error('m'), { code, statusCode })).code;
    expect(mapped('FST_ERR_CTP_BODY_TOO_LARGE', 413)).toBe('ORIGIN_ERR_BODY_TOO_LARGE');
    expect(mapped('FST_ERR_CTP_INVALID_JSON_BODY')).toBe('ORIGIN_ERR_MALFORMED_JSON');
    expect(mapped('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415)).toBe('ORIGIN_ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(mapped('FST_REQ_FILE_TOO_LARGE', 413)).toBe('ORIGIN_ERR_BODY_TOO_LARGE');
    expect(mapped('FST_ERR_BAD_URL')).toBe('ORIGIN_ERR_BAD_PATH');
    expect(mapped('SOMETHING_ELSE', 418)).toBe('ORIGIN_ERR_BAD_REQUEST');
    const internal = toHttpError(new Error('secret detail'));
    expect(internal).toMatchObject({ code: 'CDN_ERR_INTERNAL', statusCode: 500, message: 'internal error' });
  });
  it('gives every origin code its documented status', () => {
    for (const code of Object.values(OriginErrorCode))
      expect(originError(code, 'm').statusCode).toBe(ORIGIN_STATUS[code]);
  });
});

describe('uploads and catalog', () => {
  it('keeps only a safe tail of an upload file name', () => {
    expect(safeUploadName('../../etc/passwd')).toBe('passwd');
    expect(safeUploadName('C:\\videos\\my movie.mp4')).toBe('my_movie.mp4');
    expect(safeUploadName('..')).toBe('upload');
    expect(safeUploadName(undefined)).toBe('upload');
    expect(safeUploadName('.hidden.mp4')).toBe('hidden.mp4');
  });
  it('summarises a title: rungs by rate with their quality, manifest URLs, versions', () => {
    const summary = summarizeTitle(
      {
        titleId: 't',
        current: { version: 'v2', publishedAt: '2025-01-02T00:00:00Z' },
        versions: [
          { version: 'v2', storedAt: '2025-01-02T00:00:00Z', totalSizeBytes: 10, fileCount: 3 },
          { version: 'v1', storedAt: '2025-01-01T00:00:00Z', totalSizeBytes: 9, fileCount: 3 },
        ],
      },
      undefined,
    );
    expect(summary.manifests).toEqual({
      dash: '/content/t/manifest.mpd',
      hls: '/content/t/master.m3u8',
      versioned: { dash: '/content/t/v/v2/manifest.mpd', hls: '/content/t/v/v2/master.m3u8' },
    });
    expect(summary.versions.map((v) => v.current)).toEqual([true, false]);
    expect(summary.ladder.rungs).toEqual([]);
  });
});
