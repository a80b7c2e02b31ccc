import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureSession } from '../../player-sim/events/fixtures.js';
import { codeOfAsync } from '../../test/helpers/errors.js';
import { recordLine, type QoeSink, type StoredQoeEvent } from './sink.js';

/**
 * A sink on `dir` (a fresh temporary directory per test; sinks without storage ignore it).
 * `bounded`: small enough that a few hundred records overflow it. Called again with the same
 * directory, it must give a sink on the same storage (a restart).
 */
export type QoeSinkFactory = (options: { dir: string; bounded: boolean }) => QoeSink;

const T0_MS = Date.parse('2025-03-01T00:00:00Z');

/** `count` records of sessions s0, s1, ... of every event type, received 1 ms apart from `fromMs`. */
export function sampleRecords(count: number, fromMs = T0_MS, prefix = 's'): StoredQoeEvent[] {
  const out: StoredQoeEvent[] = [];
  for (let s = 0; out.length < count; s++) {
    const events = fixtureSession({
      sessionId: `${prefix}${s}`,
      rebufferMs: [400, 1200],
      failoverTo: 'edge-b',
      error: true,
    });
    for (const event of events) {
      if (out.length === count) break;
      out.push({ receivedAtMs: fromMs + out.length, event });
    }
  }
  return out;
}

/** Every record the sink replays. */
export async function replayAll(sink: QoeSink): Promise<StoredQoeEvent[]> {
  const out: StoredQoeEvent[] = [];
  for await (const record of sink.replay()) out.push(record);
  return out;
}

const bytesOf = (list: readonly StoredQoeEvent[]): number =>
  list.reduce((sum, r) => sum + Buffer.byteLength(recordLine(r)), 0);

/**
 * The behaviour every QoeSink must have. Run it against each implementation:
 * `describeQoeSinkContract('memory', factory)`.
 */
export function describeQoeSinkContract(name: string, factory: QoeSinkFactory): void {
  describe(`QoeSink contract: ${name}`, () => {
    let dir: string;
    const opened: QoeSink[] = [];
    const make = async (bounded = false): Promise<QoeSink> => {
      const sink = factory({ dir, bounded });
      opened.push(sink);
      await sink.open();
      return sink;
    };

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'qoe-sink-'));
    });
    afterEach(async () => {
      for (const sink of opened.splice(0)) await sink.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('starts empty', async () => {
      const sink = await make();
      expect(await replayAll(sink)).toEqual([]);
      expect(sink.stats()).toEqual({ records: 0, bytes: 0, droppedRecords: 0, skippedLines: 0 });
    });

    it('gives back exactly what was appended, in order, every event type and non-ASCII text included', async () => {
      const sink = await make();
      const batch = sampleRecords(40);
      const withText = batch.map((r) =>
        r.event.type === 'error'
          ? {
              ...r,
              event: { ...r.event, payload: { ...r.event.payload, message: 'débit — 帯域 "q" \\ \n' } },
            }
          : r,
      );
      await sink.append(withText.slice(0, 25));
      await sink.append(withText.slice(25));
      expect(await replayAll(sink)).toEqual(withText);
      expect(new Set(withText.map((r) => r.event.type)).size).toBe(8);
      expect(sink.stats()).toEqual({
        records: 40,
        bytes: bytesOf(withText),
        droppedRecords: 0,
        skippedLines: 0,
      });
    });

    it('stores a copy: changing the records after the append changes nothing', async () => {
      const sink = await make();
      const batch = sampleRecords(3);
      const expected = structuredClone(batch);
      await sink.append(batch);
      (batch[0] as { receivedAtMs: number }).receivedAtMs = 1;
      (batch[1]!.event as { seq: number }).seq = 999;
      expect(await replayAll(sink)).toEqual(expected);
    });

    it('an empty append stores nothing', async () => {
      const sink = await make();
      await sink.append([]);
      expect(await replayAll(sink)).toEqual([]);
      expect(sink.stats().records).toBe(0);
    });

    it('concurrent appends land whole, in call order, never interleaved', async () => {
      const sink = await make();
      const batches = Array.from({ length: 20 }, (_, i) => sampleRecords(5, T0_MS + i * 100, `b${i}-`));
      await Promise.all(batches.map((b) => sink.append(b)));
      expect(await replayAll(sink)).toEqual(batches.flat());
      expect(sink.stats().records).toBe(100);
    });

    it('replay is a snapshot: records appended while it runs are not included', async () => {
      const sink = await make();
      await sink.append(sampleRecords(10));
      const seen: StoredQoeEvent[] = [];
      for await (const record of sink.replay()) {
        if (seen.length === 0) await sink.append(sampleRecords(5, T0_MS + 1000, 'late'));
        seen.push(record);
      }
      expect(seen).toHaveLength(10);
      expect(await replayAll(sink)).toHaveLength(15);
    });

    it('is bounded: keeps a contiguous run of the newest records and counts the dropped ones', async () => {
      const sink = await make(true);
      const appended = sampleRecords(600);
      for (let i = 0; i < appended.length; i += 10) await sink.append(appended.slice(i, i + 10));
      const kept = await replayAll(sink);
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.length).toBeLessThan(600);
      expect(kept).toEqual(appended.slice(600 - kept.length));
      const stats = sink.stats();
      expect(stats.records).toBe(kept.length);
      expect(stats.droppedRecords).toBe(600 - kept.length);
      expect(stats.bytes).toBe(bytesOf(kept));
    });

    it('refuses appends after close with QOE_ERR_SINK_CLOSED', async () => {
      const sink = await make();
      await sink.append(sampleRecords(2));
      await sink.close();
      expect(await codeOfAsync(sink.append(sampleRecords(1)))).toBe('QOE_ERR_SINK_CLOSED');
    });

    it('close waits for appends in flight', async () => {
      const sink = await make();
      const pending = sink.append(sampleRecords(50));
      await sink.close();
      await pending;
      if (sink.persistent) expect(await replayAll(await make())).toHaveLength(50);
    });

    it('a persistent sink keeps its records across close and reopen; any other starts empty', async () => {
      const first = await make();
      const before = sampleRecords(30);
      await first.append(before);
      await first.close();
      const second = await make();
      const after = sampleRecords(5, T0_MS + 10_000, 'next');
      await second.append(after);
      if (first.persistent) {
        expect(await replayAll(second)).toEqual([...before, ...after]);
        expect(second.stats()).toMatchObject({ records: 35, bytes: bytesOf([...before, ...after]) });
      } else {
        expect(await replayAll(second)).toEqual(after);
      }
    });
  });
}
