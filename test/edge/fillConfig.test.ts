import { describe, expect, it } from 'vitest';
import { isCdnError } from '../../common/errors.js';
import { edgeConfigFromInput, fillKeyring } from '../../edge/config.js';

const base = { originUrl: 'http://127.0.0.1:8080', nodeId: 'a' };
const key = Buffer.alloc(32, 3).toString('base64');

describe('edge fill config', () => {
  it('has defaults for a lone node', () => {
    const c = edgeConfigFromInput(base);
    expect(c.cluster).toBeUndefined();
    expect(c.parents).toEqual([]);
    expect(c.fillAuth).toEqual({ keys: {} });
    expect(c.fill).toEqual({
      backoffMinMs: 1000,
      backoffMaxMs: 30_000,
      maxAttempts: 6,
      attemptBudgetMs: 10_000,
      bufferMaxBytes: 8 * 1024 * 1024,
    });
    expect(Object.isFrozen(c.fill)).toBe(true);
  });

  it('reads a cluster, parents and fill keys', () => {
    const c = edgeConfigFromInput({
      ...base,
      cluster: {
        id: 'site1',
        peers: [
          { id: 'a', url: 'http://10.0.0.1:8081' },
          { id: 'b', url: 'http://10.0.0.2:8081', weight: 2 },
        ],
      },
      parents: [{ id: 'p1', url: 'https://parent.example/cache' }],
      fillAuth: { keys: { f1: key }, signingKeyId: 'f1' },
    });
    expect(c.cluster?.peers.map((p) => p.id)).toEqual(['a', 'b']);
    expect(fillKeyring(c).get('f1')).toEqual(Buffer.alloc(32, 3));
  });

  it('names the bad key', () => {
    const peer = (id: string) => ({ id, url: 'http://10.0.0.1:1' });
    for (const [input, named] of [
      [{ cluster: { id: 'bad id', peers: [] } }, 'cluster.id'],
      [{ cluster: { id: 's', peers: [peer('b'), peer('b')] } }, 'cluster.peers[1].id'],
      [{ cluster: { id: 's', peers: [{ id: 'b', url: 'ftp://x' }] } }, 'cluster.peers[0].url'],
      [{ cluster: { id: 's', peers: [{ ...peer('b'), weight: 0 }] } }, 'cluster.peers[0].weight'],
      [{ parents: [peer('a')] }, 'parents'],
      [{ parents: [peer('p'), peer('p')] }, 'parents[1].id'],
      [{ fillAuth: { keys: { f1: key }, signingKeyId: 'f2' } }, 'fillAuth.signingKeyId'],
      [{ fillAuth: { keys: { f1: 'c2hvcnQ=' } } }, 'fillAuth.keys.f1'],
      [{ fill: { backoffMinMs: 5000, backoffMaxMs: 1000 } }, 'fill.backoffMinMs'],
      [{ fill: { bufferMaxBytes: 1024 } }, 'fill.bufferMaxBytes'],
      [{ fill: { maxAttempts: 0 } }, 'fill.maxAttempts'],
      [{ fill: { retries: 1 } }, 'fill'],
    ] as const) {
      let err: unknown;
      try {
        edgeConfigFromInput({ ...base, ...input });
      } catch (e) {
        err = e;
      }
      expect(isCdnError(err, 'CDN_ERR_CONFIG_INVALID'), JSON.stringify(input)).toBe(true);
      expect((err as Error).message, JSON.stringify(input)).toContain(named);
    }
  });
});
