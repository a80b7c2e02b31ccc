import { describe, expect, it } from 'vitest';
import type { SteeredEdge } from '../../common/steeringProtocol.js';
import { EdgeRoster, relocate } from './edges.js';

const edge = (id: string, version = 'v1'): SteeredEdge => {
  const baseUrl = `http://${id}.test/t/tok/content/clip/v/${version}/`;
  return {
    rank: 1,
    id,
    cluster: 'site',
    baseUrl,
    dashUrl: `${baseUrl}manifest.mpd`,
    hlsUrl: `${baseUrl}master.m3u8`,
    tier: 'fallback',
    reason: 'test',
  };
};

describe('EdgeRoster', () => {
  it('fails over in rank order and says when every edge has failed', () => {
    const roster = new EdgeRoster([edge('a'), edge('b'), edge('c')], 'v1');
    expect(roster.current.id).toBe('a');
    expect(roster.fail()?.id).toBe('b');
    expect(roster.fail()?.id).toBe('c');
    expect(roster.fail()).toBeUndefined();
  });

  it('a new steering answer replaces the list and forgets failures', () => {
    const roster = new EdgeRoster([edge('a'), edge('b')], 'v1');
    roster.fail();
    roster.fail();
    roster.replace([edge('b'), edge('a')]);
    expect([roster.current.id, roster.fail()?.id]).toEqual(['b', 'a']);
  });

  it('follows a steering priority, keeping unlisted edges as last resorts and skipping failed ones', () => {
    const roster = new EdgeRoster([edge('a'), edge('b'), edge('c')], 'v1');
    expect(roster.prefer(['a', 'b'])).toBeUndefined();
    expect(roster.prefer(['c', 'a'])?.id).toBe('c');
    expect(roster.ids).toEqual(['c', 'a', 'b']);
    roster.fail();
    expect(roster.current.id).toBe('a');
    // c failed: a stays in use although c is preferred.
    expect(roster.prefer(['c', 'b'])?.id).toBe('b');
  });

  it('pins every edge to the session version and maps ladder URLs onto it', () => {
    const roster = new EdgeRoster([edge('a')], 'v1');
    roster.replace([edge('b', 'v2')]);
    const base = roster.baseOf();
    expect(base).toBe('http://b.test/t/tok/content/clip/v/v1/');
    expect(
      relocate('http://a.test/t/tok/content/clip/v/v1/video/v0/00001.m4s', edge('a').baseUrl, base),
    ).toBe('http://b.test/t/tok/content/clip/v/v1/video/v0/00001.m4s');
    expect(relocate('http://other.test/x.m4s', edge('a').baseUrl, base)).toBe('http://other.test/x.m4s');
    expect(() => new EdgeRoster([], 'v1')).toThrow(RangeError);
  });
});
