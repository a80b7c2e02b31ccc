import { fromCmcdHeaders, fromCmcdQuery } from '@svta/cml-cmcd';
import { describe, expect, it } from 'vitest';
import { RTP_FACTOR, withCmcd, type CmcdRequestFacts } from './cmcd.js';

const SEGMENT = 'http://edge.test/t/tok/content/clip/v/1/video/v0/00001.m4s';
const facts: CmcdRequestFacts = {
  sessionId: 'session-1',
  titleId: 'clip',
  format: 'dash',
  objectType: 'v',
  bitrateBps: 800_000,
  durationMs: 2000,
  bufferMs: 1234,
  throughputKbps: 5432,
  nextUrl: 'http://edge.test/t/tok/content/clip/v/1/video/v0/00002.m4s',
  startup: true,
  bufferStarved: true,
};
const lower = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

describe('CMCD on requests', () => {
  it('header mode: every key the edge reads, nor relative to the request, rounded as CTA-5004 says', () => {
    const { url, headers } = withCmcd('header', SEGMENT, { range: 'bytes=0-9' }, facts);
    expect(url).toBe(SEGMENT);
    expect(headers.range).toBe('bytes=0-9');
    expect(fromCmcdHeaders(lower(headers))).toEqual({
      bl: 1200,
      br: 800,
      bs: true,
      cid: 'clip',
      d: 2000,
      mtp: 5400,
      nor: '00002.m4s',
      ot: 'v',
      rtp: 800 * RTP_FACTOR,
      sf: 'd',
      sid: 'session-1',
      st: 'v',
      su: true,
    });
  });

  it('query mode: the CMCD parameter after the existing query, headers untouched', () => {
    const hls = {
      ...facts,
      format: 'hls' as const,
      nextUrl: 'http://edge.test/t/tok/content/clip/v/1/video/v1/00002.m4s',
    };
    const { url, headers } = withCmcd('query', `${SEGMENT}?a=1`, {}, hls);
    expect(headers).toEqual({});
    const params = new URL(url).searchParams;
    expect(params.get('a')).toBe('1');
    const data = fromCmcdQuery(params);
    expect(data).toMatchObject({ sf: 'h', sid: 'session-1' });
    // Version 1 `nor` is URL-encoded (CTA-5004 §3.3.2): the edge decodes it once.
    expect(decodeURIComponent(data.nor as unknown as string)).toBe('../v1/00002.m4s');
  });

  it('leaves out what is unknown or false, and off sends nothing', () => {
    const bare = { sessionId: 's', titleId: 'clip', format: 'dash', objectType: 'm' } as const;
    expect(fromCmcdHeaders(lower(withCmcd('header', SEGMENT, {}, bare).headers))).toEqual({
      cid: 'clip',
      ot: 'm',
      sf: 'd',
      sid: 's',
      st: 'v',
    });
    expect(withCmcd('off', SEGMENT, { x: '1' }, facts)).toEqual({ url: SEGMENT, headers: { x: '1' } });
  });
});
