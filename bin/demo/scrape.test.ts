import { describe, expect, it } from 'vitest';
import { edgeFigures, hitRatioOf, originContentFigures, parseExposition, sumOf } from './scrape.js';

const EDGE_TEXT = `# HELP cdn_edge_requests_total Content requests answered
# TYPE cdn_edge_requests_total counter
cdn_edge_requests_total{cache_status="hit",object_type="segment",node="edge-a1"} 70
cdn_edge_requests_total{cache_status="hit",object_type="manifest",node="edge-a1"} 5
cdn_edge_requests_total{cache_status="miss",object_type="segment",node="edge-a1"} 20
cdn_edge_requests_total{cache_status="collapsed",object_type="segment",node="edge-a1"} 4
cdn_edge_requests_total{cache_status="error",object_type="segment",node="edge-a1"} 1
cdn_edge_response_bytes_total{node="edge-a1"} 1.5e+06
cdn_edge_upstream_requests_total{source="peer",outcome="ok"} 3
cdn_edge_upstream_requests_total{source="origin",outcome="ok"} 15
cdn_edge_upstream_requests_total{source="origin",outcome="timeout"} 2
cdn_edge_coalesced_waiters_total 4
cdn_edge_prefetch_total{outcome="issued"} 9
cdn_edge_prefetch_total{outcome="used"} 7
cdn_edge_prefetch_total{outcome="wasted"} 1
cdn_edge_prefetch_total{outcome="ignored"} 3
`;

describe('parseExposition', () => {
  it('reads samples with labels (escaped quotes and backslashes too) and skips comments and junk', () => {
    const samples = parseExposition(
      '# TYPE x counter\nx{a="1",b="say \\"hi\\" \\\\ there"} 2\n\nnot a sample line\ny 3.5 1700000000000\nz NaN\nw oops\n',
    );
    expect(samples).toHaveLength(3);
    expect(samples[0]).toEqual({ name: 'x', labels: { a: '1', b: 'say "hi" \\ there' }, value: 2 });
    expect(samples[1]).toEqual({ name: 'y', labels: {}, value: 3.5 });
    expect(Number.isNaN(samples[2]!.value)).toBe(true);
  });

  it('sums by name and label subset', () => {
    const samples = parseExposition(EDGE_TEXT);
    expect(sumOf(samples, 'cdn_edge_requests_total')).toBe(100);
    expect(sumOf(samples, 'cdn_edge_requests_total', { cache_status: 'hit' })).toBe(75);
    expect(sumOf(samples, 'absent')).toBe(0);
  });
});

describe('edgeFigures', () => {
  it('counts cached answers as the recording rule does (hits and collapsed), fills by source, prefetch', () => {
    const f = edgeFigures(parseExposition(EDGE_TEXT));
    expect(f.requests).toBe(100);
    expect(f.cachedRequests).toBe(79);
    expect(hitRatioOf(f)).toBeCloseTo(0.79);
    expect(f.requestsByStatus).toEqual({ hit: 75, miss: 20, collapsed: 4, error: 1 });
    expect(f.bytesServed).toBe(1_500_000);
    expect(f.fillsBySource).toEqual({ peer: 3, origin: 17 });
    expect(f.coalesced).toBe(4);
    expect(f.prefetch).toEqual({ issued: 9, used: 7, wasted: 1 });
  });

  it('an edge that answered nothing has no hit ratio (NaN), not 0', () => {
    const f = edgeFigures([]);
    expect(f.requests).toBe(0);
    expect(hitRatioOf(f)).toBeNaN();
    expect(f.prefetch).toEqual({ issued: 0, used: 0, wasted: 0 });
  });
});

describe('originContentFigures', () => {
  it('takes only the /content route', () => {
    const samples = parseExposition(
      [
        'cdn_origin_requests_total{route="/content/*",method="GET",status="200"} 10',
        'cdn_origin_requests_total{route="/content/*",method="HEAD",status="200"} 2',
        'cdn_origin_requests_total{route="/v1/steer",method="GET",status="200"} 50',
        'cdn_origin_response_bytes_total{route="/content/*"} 4096',
        'cdn_origin_response_bytes_total{route="/v1/steer"} 999',
      ].join('\n'),
    );
    expect(originContentFigures(samples)).toEqual({ requests: 12, bytes: 4096 });
  });
});
