import { describe, expect, it } from 'vitest';
import { codeOf } from '../test/helpers/errors.js';
import { buildSteeringManifest, parseSteeringManifest } from './steering.js';

describe('steering manifests', () => {
  it('builds one JSON that carries HLS pathways and DASH service locations', () => {
    const manifest = buildSteeringManifest({
      ttlS: 300,
      reloadUri: 'https://steer.example/v1/steering?session=abc',
      priority: ['edge-b', 'edge-a'],
    });
    expect(manifest).toEqual({
      VERSION: 1,
      TTL: 300,
      'RELOAD-URI': 'https://steer.example/v1/steering?session=abc',
      'PATHWAY-PRIORITY': ['edge-b', 'edge-a'],
      'SERVICE-LOCATION-PRIORITY': ['edge-b', 'edge-a'],
    });
    expect(parseSteeringManifest(JSON.stringify(manifest))).toEqual(manifest);
  });

  it('writes only the requested format', () => {
    const hls = buildSteeringManifest({ ttlS: 10, priority: ['a'], formats: ['hls'] });
    expect(hls).toEqual({ VERSION: 1, TTL: 10, 'PATHWAY-PRIORITY': ['a'] });
  });

  it('rejects a bad TTL, an empty list, duplicate or malformed ids with MANIFEST_ERR_INVALID', () => {
    for (const input of [
      { ttlS: 0, priority: ['a'] },
      { ttlS: 1.5, priority: ['a'] },
      { ttlS: 10, priority: [] },
      { ttlS: 10, priority: ['a', 'a'] },
      { ttlS: 10, priority: ['edge one'] },
      { ttlS: 10, priority: ['a,b'] },
      { ttlS: 10, priority: ['a'], reloadUri: 'http://[bad' },
    ]) {
      expect(
        codeOf(() => buildSteeringManifest(input)),
        JSON.stringify(input),
      ).toBe('MANIFEST_ERR_INVALID');
    }
  });

  it('parses what players receive: not JSON → PARSE, JSON against the rules → INVALID with paths', () => {
    expect(codeOf(() => parseSteeringManifest('{'))).toBe('MANIFEST_ERR_PARSE');
    expect(codeOf(() => parseSteeringManifest(new Uint8Array([0xff, 0xfe, 0x00])))).toBe(
      'MANIFEST_ERR_PARSE',
    );
    expect(codeOf(() => parseSteeringManifest('[]'))).toBe('MANIFEST_ERR_INVALID');
    expect(codeOf(() => parseSteeringManifest('{"VERSION":2,"TTL":10,"PATHWAY-PRIORITY":["a"]}'))).toBe(
      'MANIFEST_ERR_INVALID',
    );
    expect(codeOf(() => parseSteeringManifest('{"VERSION":1,"TTL":10}'))).toBe('MANIFEST_ERR_INVALID');
    let problems: Array<{ path: string }> = [];
    try {
      parseSteeringManifest('{"VERSION":1,"TTL":-1,"PATHWAY-PRIORITY":["ok","bad id"]}');
    } catch (err) {
      problems = (err as { details: { problems: Array<{ path: string }> } }).details.problems;
    }
    expect(problems.map((p) => p.path).sort()).toEqual(['PATHWAY-PRIORITY.1', 'TTL']);
  });

  it('keeps unknown keys such as PATHWAY-CLONES', () => {
    const parsed = parseSteeringManifest(
      '{"VERSION":1,"TTL":60,"PATHWAY-PRIORITY":["a"],"PATHWAY-CLONES":[{"BASE-ID":"a","ID":"b"}]}',
    );
    expect(parsed).toHaveProperty('PATHWAY-CLONES');
  });

  it('never throws anything but coded errors for random input', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const valid = JSON.stringify(buildSteeringManifest({ ttlS: 30, priority: ['a', 'b'] }));
    for (let i = 0; i < 500; i++) {
      const bytes = Buffer.from(valid);
      const cut = next() % (bytes.length + 1);
      const mutated = Buffer.from(bytes.subarray(0, cut));
      if (mutated.length > 0) mutated[next() % mutated.length] = next() % 256;
      const code = codeOf(() => parseSteeringManifest(mutated));
      expect([undefined, 'MANIFEST_ERR_PARSE', 'MANIFEST_ERR_INVALID']).toContain(code);
    }
  });
});
