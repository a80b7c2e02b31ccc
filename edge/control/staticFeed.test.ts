import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, codeOfAsync } from '../../test/helpers/errors.js';
import { controlConfigFromInput } from './config.js';
import { StaticRouteFeed } from './staticFeed.js';
import type { RouteDelta } from './types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'static-feed-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('StaticRouteFeed', () => {
  it('replays its table to a new subscriber, then emits differences', async () => {
    const feed = new StaticRouteFeed([
      '10.0.0.0/8',
      { prefix: '2001:db8::/32', asPath: [65001, 65001], localPref: 200 },
    ]);
    const got: RouteDelta[] = [];
    const unsubscribe = feed.subscribe((d) => got.push(d));
    await Promise.resolve();
    expect(got).toEqual([
      {
        announce: [
          { prefix: '10.0.0.0/8', nextHop: '0.0.0.0', asPath: [] },
          { prefix: '2001:db8::/32', nextHop: '::', asPath: [65001, 65001], localPref: 200 },
        ],
        withdraw: [],
      },
    ]);
    const delta = feed.set(['10.0.0.0/8', { prefix: '11.0.0.0/8', med: 10 }]);
    expect(delta).toEqual({
      announce: [{ prefix: '11.0.0.0/8', nextHop: '0.0.0.0', asPath: [], med: 10 }],
      withdraw: ['2001:db8::/32'],
    });
    expect(got[1]).toEqual(delta);
    feed.withdraw(['11.0.0.0/8', '12.0.0.0/8']);
    expect(got[2]).toEqual({ announce: [], withdraw: ['11.0.0.0/8'] });
    feed.announce([{ prefix: '12.0.0.0/8', communities: ['65000:100'] }]);
    expect(got[3]!.announce[0]!.communities).toEqual(['65000:100']);
    unsubscribe();
    feed.withdraw(['12.0.0.0/8']);
    expect(got).toHaveLength(4);
  });

  it('reads a JSON file, as an array or {routes}', async () => {
    await writeFile(join(dir, 'a.json'), JSON.stringify(['192.0.2.0/24']));
    await writeFile(
      join(dir, 'b.json'),
      JSON.stringify({ routes: [{ prefix: '198.51.100.0/24', nextHop: '192.0.2.1' }] }),
    );
    expect((await StaticRouteFeed.fromFile(join(dir, 'a.json'))).routes.map((r) => r.prefix)).toEqual([
      '192.0.2.0/24',
    ]);
    expect((await StaticRouteFeed.fromFile(join(dir, 'b.json'))).routes[0]!.nextHop).toBe('192.0.2.1');
  });

  it('refuses bad feeds with EDGE_ERR_ROUTE_FEED_INVALID naming the entry', async () => {
    expect(codeOf(() => new StaticRouteFeed(['10.0.0.1/8']))).toBe('EDGE_ERR_ROUTE_FEED_INVALID');
    expect(() => new StaticRouteFeed(['10.0.0.0/8', { prefix: '1.0.0.0/8', nextHop: 'x' }])).toThrow(
      /\[1\]: next hop/,
    );
    expect(codeOf(() => new StaticRouteFeed([{ prefix: '1.0.0.0/8', bogus: 1 } as never]))).toBe(
      'EDGE_ERR_ROUTE_FEED_INVALID',
    );
    expect(codeOf(() => new StaticRouteFeed().withdraw(['nope']))).toBe('EDGE_ERR_ROUTE_FEED_INVALID');
    await writeFile(join(dir, 'bad.json'), '{"routes": ');
    await writeFile(join(dir, 'shape.json'), '{"prefixes": []}');
    expect(await codeOfAsync(StaticRouteFeed.fromFile(join(dir, 'bad.json')))).toBe(
      'EDGE_ERR_ROUTE_FEED_INVALID',
    );
    expect(await codeOfAsync(StaticRouteFeed.fromFile(join(dir, 'shape.json')))).toBe(
      'EDGE_ERR_ROUTE_FEED_INVALID',
    );
    expect(await codeOfAsync(StaticRouteFeed.fromFile(join(dir, 'missing.json')))).toBe(
      'EDGE_ERR_ROUTE_FEED_INVALID',
    );
  });
});

describe('controlConfigSchema', () => {
  const good = {
    originUrl: 'http://127.0.0.1:8080',
    edgeId: 'edge-1',
    cluster: 'site-a',
    publicUrl: 'http://127.0.0.1:8081',
    capacityGbps: 10,
  };
  it('fills defaults', () => {
    const c = controlConfigFromInput(good);
    expect([c.timeoutMs, c.maxRoutesPerHeartbeat, c.backoff]).toEqual([
      5000,
      50_000,
      { initialMs: 250, maxMs: 30_000 },
    ]);
  });
  it('names the bad key', () => {
    expect(() => controlConfigFromInput({ ...good, edgeId: 'edge:1' })).toThrow(/edgeId/);
    expect(() => controlConfigFromInput({ ...good, staticRoutes: [42] })).toThrow(/staticRoutes/);
    expect(() => controlConfigFromInput({ ...good, token: 'short' })).toThrow(/token/);
  });
});
