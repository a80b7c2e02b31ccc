import { appendFile, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeOfAsync } from '../../test/helpers/errors.js';
import { describeQoeSinkContract, replayAll, sampleRecords } from './contract.js';
import { FileQoeSink } from './fileSink.js';
import { MemoryQoeSink } from './memorySink.js';
import { recordLine, type QoeSink } from './sink.js';

describeQoeSinkContract(
  'memory',
  ({ bounded }) => new MemoryQoeSink({ maxRecords: bounded ? 100 : 100_000 }),
);

describeQoeSinkContract(
  'file',
  ({ dir, bounded }) =>
    // Bounded: files of about 8 KiB (some 20 records), three kept.
    new FileQoeSink({
      dir,
      maxFileBytes: bounded ? 8192 : 64 * 1024 * 1024,
      maxFiles: bounded ? 3 : 8,
      fsync: true,
    }),
);

describe('MemoryQoeSink', () => {
  it('keeps exactly maxRecords, the newest', async () => {
    const sink = new MemoryQoeSink({ maxRecords: 7 });
    const appended = sampleRecords(30);
    for (const r of appended) await sink.append([r]);
    expect(await replayAll(sink)).toEqual(appended.slice(23));
    expect(sink.stats()).toMatchObject({ records: 7, droppedRecords: 23 });
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new MemoryQoeSink({ maxRecords: 0 })).toThrow(RangeError);
  });
});

describe('FileQoeSink', () => {
  let dir: string;
  const sinks: QoeSink[] = [];
  const open = async (options: Partial<ConstructorParameters<typeof FileQoeSink>[0]> = {}) => {
    const sink = new FileQoeSink({ dir, maxFileBytes: 1 << 20, maxFiles: 4, fsync: false, ...options });
    sinks.push(sink);
    await sink.open();
    return sink;
  };
  const logFiles = async () => (await readdir(dir)).filter((n) => n.endsWith('.ndjson')).sort();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qoe-file-'));
  });
  afterEach(async () => {
    for (const sink of sinks.splice(0)) await sink.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one NDJSON line per record: {receivedAtMs, event}', async () => {
    const sink = await open();
    const batch = sampleRecords(3);
    await sink.append(batch);
    const text = await readFile(join(dir, 'events-00000001.ndjson'), 'utf8');
    expect(text).toBe(batch.map(recordLine).join(''));
    expect(
      text
        .split('\n')
        .slice(0, 3)
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(batch);
  });

  it('rotates before a file would pass maxFileBytes, and deletes the oldest beyond maxFiles', async () => {
    const lineBytes = Buffer.byteLength(recordLine(sampleRecords(1)[0]!));
    const sink = await open({ maxFileBytes: lineBytes * 10, maxFiles: 3 });
    const appended = sampleRecords(100);
    for (let i = 0; i < 100; i += 4) await sink.append(appended.slice(i, i + 4));
    const files = await logFiles();
    expect(files).toHaveLength(3);
    // Sequential names, the newest kept.
    const indexes = files.map((f) => Number(/\d+/.exec(f)![0]));
    expect(indexes[1]! - indexes[0]!).toBe(1);
    expect(indexes[2]! - indexes[1]!).toBe(1);
    for (const file of files) {
      const text = await readFile(join(dir, file), 'utf8');
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(lineBytes * 12);
      expect(text.endsWith('\n')).toBe(true);
    }
    const kept = await replayAll(sink);
    expect(kept).toEqual(appended.slice(100 - kept.length));
    expect(sink.stats().droppedRecords + kept.length).toBe(100);
  });

  it('cuts a torn last line (a crash during a write) on open, and appends cleanly after it', async () => {
    const first = await open();
    const before = sampleRecords(5);
    await first.append(before);
    await first.close();
    const torn = recordLine(sampleRecords(6)[5]!).slice(0, 40);
    await appendFile(join(dir, 'events-00000001.ndjson'), torn);
    const second = await open();
    expect(second.stats()).toMatchObject({ records: 5, skippedLines: 1 });
    const after = sampleRecords(2, 2_000_000_000_000, 'next');
    await second.append(after);
    expect(await replayAll(second)).toEqual([...before, ...after]);
    const text = await readFile(join(dir, 'events-00000001.ndjson'), 'utf8');
    expect(text).not.toContain(torn);
  });

  it('skips a damaged line in the middle, counts it once however often it replays, keeps the rest', async () => {
    const batch = sampleRecords(6);
    const lines = batch.map(recordLine);
    await writeFile(
      join(dir, 'events-00000001.ndjson'),
      [
        ...lines.slice(0, 3),
        '{"receivedAtMs": 1, "event": {"type": "bogus"}}\n',
        'not json\n',
        ...lines.slice(3),
      ].join(''),
    );
    const sink = await open();
    expect(await replayAll(sink)).toEqual(batch);
    expect(await replayAll(sink)).toEqual(batch);
    expect(sink.stats()).toMatchObject({ records: 6, skippedLines: 2 });
  });

  it('ignores files in its directory that are not its log', async () => {
    await writeFile(join(dir, 'notes.txt'), 'hello\n');
    await writeFile(join(dir, 'events-1.ndjson'), 'x\n');
    const sink = await open();
    await sink.append(sampleRecords(2));
    expect(await replayAll(sink)).toHaveLength(2);
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('hello\n');
  });

  it('a failed write (no space left) rejects with QOE_ERR_SINK_WRITE and stores nothing', async () => {
    // The log file is /dev/full: every write fails with ENOSPC, as on a full disk.
    await symlink('/dev/full', join(dir, 'events-00000001.ndjson'));
    const sink = await open({ fsync: true });
    expect(await codeOfAsync(sink.append(sampleRecords(3)))).toBe('QOE_ERR_SINK_WRITE');
    expect(await codeOfAsync(sink.append(sampleRecords(1)))).toBe('QOE_ERR_SINK_WRITE');
    expect(sink.stats().records).toBe(0);
  });
});
