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

  it('assembles a body of declared size into one buffer: followers and body() see the same bytes, no copy at the end', async () => {
    const fill = new Fill('/k', 1000);
    fill.setHead({ ...head, sizeBytes: 12 });
    const early = collector();
    fill.follow(early.listener);
    const parts = [Buffer.alloc(5, 1), Buffer.alloc(4, 2), Buffer.alloc(3, 3)];
    fill.push(parts[0]!);
    fill.push(parts[1]!);
    const late = collector();
    fill.follow(late.listener);
    fill.push(parts[2]!);
    fill.finish();
    await fill.done;
    const whole = Buffer.concat(parts);
    expect(Buffer.concat(early.got.chunks)).toEqual(whole);
    expect(Buffer.concat(late.got.chunks)).toEqual(whole);
    const body = fill.body();
    expect(body).toEqual(whole);
    // The replay list is views into the body, and the body owns exactly its bytes.
    expect(fill.chunks.every((c) => c.buffer === body.buffer)).toBe(true);
    expect(body.buffer.byteLength).toBe(12);
    expect(fill.body()).toBe(body);
  });

  it('falls back to the chunks as they came: no declared size, a size surprise, held bytes, past the bound', () => {
    const cases: {
      sizeBytes: number | undefined;
      limit: number;
      pushes: [number, boolean][];
      storable?: boolean;
    }[] = [
      { sizeBytes: 7, limit: 100, pushes: [[7, false]], storable: false }, // never stored: no copy
      {
        sizeBytes: undefined,
        limit: 100,
        pushes: [
          [3, false],
          [4, false],
        ],
      },
      {
        sizeBytes: 5,
        limit: 100,
        pushes: [
          [3, false],
          [4, false],
        ],
      }, // more than declared
      { sizeBytes: 7, limit: 100, pushes: [[7, true]] }, // a stored body after a 304
      {
        sizeBytes: 500,
        limit: 100,
        pushes: [
          [3, false],
          [4, false],
        ],
      }, // declared beyond the bound
    ];
    for (const [i, c] of cases.entries()) {
      const fill = new Fill('/k', c.limit);
      fill.setHead({ ...head, sizeBytes: c.sizeBytes, storable: c.storable ?? true });
      const pushed = c.pushes.map(([n, held], j) => {
        const data = Buffer.alloc(n, j + 1);
        fill.push(data, held);
        return data;
      });
      fill.finish();
      expect(fill.body(), `case ${i}`).toEqual(Buffer.concat(pushed));
      if (c.pushes.length === 1) expect(fill.chunks[0], `case ${i}`).toBe(pushed[0]);
    }
  });
});
