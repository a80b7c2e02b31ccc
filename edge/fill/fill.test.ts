import { describe, expect, it } from 'vitest';
import type { CdnError } from '../../common/errors.js';
import { Fill, type FillHead } from './fill.js';

const head: FillHead = {
  status: 200,
  headers: {},
  sizeBytes: undefined,
  requestTimeMs: 0,
  responseTimeMs: 0,
  storable: true,
  shareable: true,
  via: 'fetched',
  upstreamStatus: 200,
};

function collector() {
  const got: { chunks: Buffer[]; ended: boolean; error: CdnError | undefined } = {
    chunks: [],
    ended: false,
    error: undefined,
  };
  return {
    got,
    listener: {
      chunk: (data: Buffer) => got.chunks.push(data),
      end: () => {
        got.ended = true;
      },
      error: (err: CdnError) => {
        got.error = err;
      },
    },
  };
}

describe('Fill', () => {
  it('replays kept chunks to late followers, and stops keeping past its limit', async () => {
    const fill = new Fill('/k', 10);
    fill.setHead(head);
    const early = collector();
    fill.follow(early.listener);
    fill.push(Buffer.alloc(6, 1));
    const middle = collector();
    fill.follow(middle.listener);
    expect(middle.got.chunks).toHaveLength(1);
    fill.push(Buffer.alloc(6, 2));
    expect(fill.replayable).toBe(false);
    expect(fill.keptBytes).toBe(0);
    expect(fill.chunks).toHaveLength(0);
    const late = collector();
    fill.follow(late.listener);
    expect(late.got.error?.code).toBe('CDN_ERR_INTERNAL');
    fill.push(Buffer.alloc(6, 3));
    fill.finish();
    await fill.done;
    for (const c of [early, middle]) {
      expect(Buffer.concat(c.got.chunks)).toEqual(
        Buffer.concat([Buffer.alloc(6, 1), Buffer.alloc(6, 2), Buffer.alloc(6, 3)]),
      );
      expect(c.got.ended).toBe(true);
    }
    expect(fill.receivedBytes).toBe(18);
  });

  it('keeps held bytes whatever the limit, and fails followers and `done` together', async () => {
    const fill = new Fill('/k', 4);
    fill.setHead(head);
    fill.push(Buffer.alloc(100), true);
    expect(fill.replayable).toBe(true);
    const c = collector();
    fill.follow(c.listener);
    expect(c.got.chunks[0]!.length).toBe(100);
    const err = { code: 'EDGE_ERR_FILL_CORRUPT' } as CdnError;
    fill.fail(err);
    expect(c.got.error).toBe(err);
    await expect(fill.done).rejects.toBe(err);
    expect(fill.chunks).toHaveLength(0);
  });
});
