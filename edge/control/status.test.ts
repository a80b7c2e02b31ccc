import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../cache/memoryStore.js';
import { EgressMeter, cachedTitles, edgeHealth, metricTotal } from './status.js';

describe('edge status for heartbeats', () => {
  it('is down without a healthy memory tier, degraded without another tier, ok otherwise', () => {
    const ok = { healthy: true } as const;
    const bad = { healthy: false, reason: 'disk full' } as const;
    expect(
      edgeHealth([
        { name: 'memory', health: ok },
        { name: 'disk', health: ok },
      ]),
    ).toBe('ok');
    expect(
      edgeHealth([
        { name: 'memory', health: ok },
        { name: 'disk', health: bad },
      ]),
    ).toBe('degraded');
    expect(
      edgeHealth([
        { name: 'memory', health: bad },
        { name: 'disk', health: ok },
      ]),
    ).toBe('down');
    expect(edgeHealth([])).toBe('ok');
  });

  it('lists the cached titles of real store keys, most recent first, bounded', async () => {
    const memory = new MemoryStore({ maxBytes: 1024 * 1024 });
    await memory.open();
    const put = (key: string) =>
      memory.put({ key, status: 200, headers: {}, requestTimeMs: 0, responseTimeMs: 0 }, Buffer.from(key));
    for (const key of [
      '/content/t1/video/v0/00001.m4s',
      '/content/t1/video/v0/00002.m4s',
      '/content/t2/manifest.mpd',
      '/content/t3/v/20250101T000000Z-abc/master.m3u8?lang=en',
      '/healthz',
      '/content/Bad Title/x.m4s',
    ])
      await put(key);
    const disk = ['/content/t4/a.m4s', '/content/t1/b.m4s'];
    expect(cachedTitles([memory.keys(), disk], 100).sort()).toEqual(['t1', 't2', 't3', 't4']);
    expect(cachedTitles([memory.keys(), disk], 2)).toHaveLength(2);
    expect(cachedTitles([memory.keys()], 0)).toEqual([]);
    await memory.close();
  });

  it('measures egress over the last interval in Gbit/s, starting over when the counter resets', () => {
    const meter = new EgressMeter();
    expect(meter.loadGbps).toBe(0);
    meter.sample(1_000_000, 0);
    expect(meter.loadGbps).toBe(0);
    // 125 MB in 1 s is 1 Gbit/s.
    meter.sample(126_000_000, 1000);
    expect(meter.loadGbps).toBeCloseTo(1, 9);
    // A sample that is not later than the last changes nothing.
    meter.sample(1, 900);
    expect(meter.loadGbps).toBeCloseTo(1, 9);
    meter.sample(5, 2000);
    expect(meter.loadGbps).toBe(0);
    meter.sample(250_000_005, 4000);
    expect(meter.loadGbps).toBeCloseTo(1, 9);
  });

  it('sums one metric of Prometheus text, and nothing of similar names', () => {
    const text = [
      '# HELP cdn_edge_response_bytes_total Body bytes',
      '# TYPE cdn_edge_response_bytes_total counter',
      'cdn_edge_response_bytes_total{part="edge",node="a"} 1200',
      'cdn_edge_response_bytes_total 34',
      'cdn_edge_response_bytes_totals 1000000',
      'cdn_edge_requests_total{cache_status="hit"} 9',
    ].join('\n');
    expect(metricTotal(text, 'cdn_edge_response_bytes_total')).toBe(1234);
    expect(metricTotal(text, 'cdn_edge_missing_total')).toBe(0);
  });
});
