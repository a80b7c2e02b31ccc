import { describe, expect, it } from 'vitest';
import type { TitleFile } from '../../manifests/index.js';
import {
  MAX_TITLES_PER_RUN,
  charge,
  decideScheduledRun,
  inFillWindow,
  newBucket,
  parseFillRequest,
  planRoom,
  planTitleObjects,
  reserve,
  titleFileKey,
} from './proactivePlan.js';

describe('parseFillRequest', () => {
  it('accepts a title list (deduplicated, order kept) or a popularity request', () => {
    expect(parseFillRequest({ titles: ['b', 'a', 'b'] })).toEqual({
      kind: 'ok',
      request: { source: 'titles', titles: ['b', 'a'], maxBytes: undefined },
    });
    expect(parseFillRequest({ fromPopularity: true, limit: 5, maxBytes: 1000 })).toEqual({
      kind: 'ok',
      request: { source: 'popularity', limit: 5, maxBytes: 1000 },
    });
    expect(parseFillRequest({ fromPopularity: true })).toEqual({
      kind: 'ok',
      request: { source: 'popularity', limit: undefined, maxBytes: undefined },
    });
  });

  it('refuses every malformed body with a message naming the field', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{}, /exactly one/],
      [{ titles: ['a'], fromPopularity: true }, /exactly one/],
      [{ titles: [] }, /"titles"/],
      [{ titles: 'a' }, /"titles"/],
      [{ titles: [1] }, /bad title id/],
      [{ titles: ['../etc'] }, /bad title id/],
      [{ titles: ['A'] }, /bad title id/],
      [{ titles: Array.from({ length: MAX_TITLES_PER_RUN + 1 }, (_, i) => `t${i}`) }, /"titles"/],
      [{ fromPopularity: false }, /"fromPopularity" must be true/],
      [{ fromPopularity: 'yes' }, /"fromPopularity" must be true/],
      [{ fromPopularity: true, limit: 0 }, /"limit"/],
      [{ fromPopularity: true, limit: 1.5 }, /"limit"/],
      [{ fromPopularity: true, limit: MAX_TITLES_PER_RUN + 1 }, /"limit"/],
      [{ titles: ['a'], limit: 3 }, /"limit" goes with/],
      [{ titles: ['a'], maxBytes: -1 }, /"maxBytes"/],
      [{ titles: ['a'], maxBytes: '5' }, /"maxBytes"/],
      [{ titles: ['a'], extra: 1 }, /unknown field "extra"/],
    ];
    for (const [body, message] of bad) {
      const verdict = parseFillRequest(body);
      expect(verdict.kind, JSON.stringify(body).slice(0, 80)).toBe('invalid');
      if (verdict.kind === 'invalid') expect(verdict.message).toMatch(message);
    }
  });
});

function title(): TitleFile {
  const segs = (dir: string, sizes: number[]) =>
    sizes.map((sizeBytes, i) => ({
      path: `${dir}/${String(i + 1).padStart(5, '0')}.m4s`,
      sizeBytes,
      sha256: '0'.repeat(64),
      number: i + 1,
      startS: i * 4,
      durationS: 4,
    }));
  const track = (id: string, type: 'video' | 'audio', averageBandwidthBps: number, sizes: number[]) => ({
    id,
    type,
    codecs: 'x',
    peakBandwidthBps: averageBandwidthBps,
    averageBandwidthBps,
    dashBandwidthBps: averageBandwidthBps,
    playlist: `${type}/${id}/playlist.m3u8`,
    init: { path: `${type}/${id}/init.mp4`, sizeBytes: 700, sha256: '0'.repeat(64) },
    // Listed out of order on purpose: playback order is by number.
    segments: segs(`${type}/${id}`, sizes).reverse(),
  });
  return {
    schemaVersion: 1,
    id: 'film1',
    version: 'V1',
    createdAt: '2025-01-01T00:00:00Z',
    durationS: 8,
    segmentDurationS: 4,
    manifests: { dash: 'manifest.mpd', hls: 'master.m3u8' },
    ladder: 'ladder.json',
    tracks: [
      track('v1', 'video', 3_000_000, [300, 301]),
      track('v0', 'video', 1_000_000, [100, 101]),
      track('a0', 'audio', 128_000, [10, 11]),
    ],
    totalSizeBytes: 1,
    packager: { name: 'shaka-packager', version: 'x' },
  };
}

describe('planTitleObjects', () => {
  it('orders manifests, then playlists and inits, then segments: audio, then video rungs lowest first, in playback order', () => {
    const plan = planTitleObjects(title());
    const base = '/content/film1/v/V1/';
    expect(plan.map((o) => o.key)).toEqual([
      '/content/film1/manifest.mpd',
      '/content/film1/master.m3u8',
      `${base}audio/a0/playlist.m3u8`,
      `${base}audio/a0/init.mp4`,
      `${base}video/v0/playlist.m3u8`,
      `${base}video/v0/init.mp4`,
      `${base}video/v1/playlist.m3u8`,
      `${base}video/v1/init.mp4`,
      `${base}audio/a0/00001.m4s`,
      `${base}audio/a0/00002.m4s`,
      `${base}video/v0/00001.m4s`,
      `${base}video/v0/00002.m4s`,
      `${base}video/v1/00001.m4s`,
      `${base}video/v1/00002.m4s`,
    ]);
    expect(plan[0]).toMatchObject({ sizeBytes: undefined, estimatedBytes: 4096 });
    // An unlisted playlist is estimated from its segment count.
    expect(plan[2]).toMatchObject({ kind: 'playlist', sizeBytes: undefined, estimatedBytes: 512 + 2 * 64 });
    expect(plan.at(-1)).toEqual({
      key: `${base}video/v1/00002.m4s`,
      kind: 'segment',
      sizeBytes: 301,
      estimatedBytes: 301,
    });
    expect(titleFileKey('film1')).toBe('/content/film1/title.json');
  });

  it('leaves out paths the edge would refuse and duplicates', () => {
    const t = title();
    t.tracks[0]!.segments[0]!.path = '../escape.m4s';
    t.tracks[1]!.playlist = t.tracks[2]!.playlist;
    const keys = planTitleObjects(t).map((o) => o.key);
    expect(keys.some((k) => k.includes('escape'))).toBe(false);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('planRoom', () => {
  const heat = (titleId: string, bytes: number, score: number, recentlyServed = false) => ({
    titleId,
    bytes,
    score,
    recentlyServed,
  });

  it('fits in free space without touching anyone', () => {
    expect(planRoom(100, 100, { titleId: 'x', score: 1 }, [heat('cold', 500, 0)])).toEqual({
      fitBytes: 100,
      release: [],
      full: false,
    });
  });

  it('takes room from strictly colder titles not served here recently, coldest first', () => {
    const residents = [
      heat('warm', 300, 5),
      heat('cold', 200, 1),
      heat('colder', 50, 0.5),
      heat('watched', 1000, 0, true),
      heat('hotter', 1000, 20),
      heat('equal', 1000, 10),
      heat('x', 1000, 0),
    ];
    expect(planRoom(400, 100, { titleId: 'x', score: 10 }, residents)).toEqual({
      fitBytes: 400,
      release: [
        { titleId: 'colder', bytes: 50 },
        { titleId: 'cold', bytes: 200 },
        { titleId: 'warm', bytes: 50 },
      ],
      full: false,
    });
  });

  it('fills what fits and reports full when only hotter or locally served content remains', () => {
    const residents = [heat('hotter', 5000, 20), heat('watched', 5000, 0, true), heat('cold', 100, 1)];
    expect(planRoom(1000, 200, { titleId: 'x', score: 10 }, residents)).toEqual({
      fitBytes: 300,
      release: [{ titleId: 'cold', bytes: 100 }],
      full: true,
    });
    // Without popularity (every score 0) nothing is displaced: free space only.
    expect(planRoom(1000, 200, { titleId: 'x', score: 0 }, [heat('other', 5000, 0)])).toEqual({
      fitBytes: 200,
      release: [],
      full: true,
    });
  });
});

describe('token bucket', () => {
  const rate = { bandwidthBps: 8000, burstBits: 800 };

  it('lets the first object go at once, then makes each wait for the bits before it', () => {
    let bucket = newBucket(0, rate);
    let r = reserve(bucket, 0, 8000, rate);
    expect(r.waitMs).toBe(0);
    bucket = r.bucket;
    // 8000 bits charged against a full 800-bit bucket: 7200 owed at 8000 bit/s.
    r = reserve(bucket, 0, 8000, rate);
    expect(r.waitMs).toBe(900);
    r = reserve(r.bucket, 900, 8000, rate);
    expect(r.waitMs).toBe(1000);
  });

  it('keeps the long-run rate at the cap: N objects take (N−1) object times minus the burst', () => {
    let bucket = newBucket(0, rate);
    let nowMs = 0;
    for (let i = 0; i < 10; i++) {
      const r = reserve(bucket, nowMs, 4000, rate);
      nowMs += r.waitMs;
      bucket = r.bucket;
    }
    // 9 × 4000 bits at 8000 bit/s = 4.5 s, less the 800-bit burst (0.1 s).
    expect(nowMs).toBe(4400);
  });

  it('refills up to the burst only, and charges sizes learnt afterwards', () => {
    const idle = reserve(newBucket(0, rate), 60_000, 0, rate);
    expect(idle.bucket.tokensBits).toBe(800);
    const charged = charge(newBucket(0, rate), 0, 8800, rate);
    expect(reserve(charged, 0, 1, rate).waitMs).toBe(1000);
  });
});

describe('fill window', () => {
  const at = (hour: number, minute = 0) => Date.UTC(2025, 0, 1, hour, minute);

  it('is [start, end) in UTC hours, may wrap midnight, and equal hours mean all day', () => {
    expect(inFillWindow(at(2), 2, 6)).toBe(true);
    expect(inFillWindow(at(5, 59), 2, 6)).toBe(true);
    expect(inFillWindow(at(6), 2, 6)).toBe(false);
    expect(inFillWindow(at(1, 59), 2, 6)).toBe(false);
    expect(inFillWindow(at(23), 22, 4)).toBe(true);
    expect(inFillWindow(at(3), 22, 4)).toBe(true);
    expect(inFillWindow(at(12), 22, 4)).toBe(false);
    expect(inFillWindow(at(12), 0, 24)).toBe(true);
    expect(inFillWindow(at(12), 7, 7)).toBe(true);
  });

  it('starts a scheduled run only when enabled, idle, not draining and inside the window', () => {
    const window = { startHourUtc: 2, endHourUtc: 6 };
    const state = { enabled: true, running: false, draining: false, nowMs: at(3) };
    expect(decideScheduledRun(state, window)).toEqual({ kind: 'start' });
    expect(decideScheduledRun({ ...state, enabled: false }, window)).toEqual({
      kind: 'wait',
      reason: 'disabled',
    });
    expect(decideScheduledRun({ ...state, running: true }, window)).toEqual({
      kind: 'wait',
      reason: 'running',
    });
    expect(decideScheduledRun({ ...state, draining: true }, window)).toEqual({
      kind: 'wait',
      reason: 'draining',
    });
    expect(decideScheduledRun({ ...state, nowMs: at(12) }, window)).toEqual({
      kind: 'wait',
      reason: 'outside-window',
    });
  });
});
