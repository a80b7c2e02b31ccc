import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { QoeErrorCode, qoeError } from './errors.js';
import { parseRecordLine, recordLine, type QoeSink, type QoeSinkStats, type StoredQoeEvent } from './sink.js';

export interface FileQoeSinkOptions {
  /** Directory of the log files (created if missing). Give each sink its own. */
  dir: string;
  /** A file is rotated before an append would take it past this size, in bytes. */
  maxFileBytes: number;
  /** Files kept; the oldest is deleted when a rotation makes more. */
  maxFiles: number;
  /** fdatasync after each append (and fsync the directory after a rotation). */
  fsync: boolean;
}

const FILE_PATTERN = /^events-(\d{8})\.ndjson$/;
const NEWLINE = 0x0a;

const fileName = (index: number): string => `events-${String(index).padStart(8, '0')}.ndjson`;

interface LogFile {
  index: number;
  path: string;
  bytes: number;
  /** Newline-terminated lines (records plus any damaged line not yet found by replay). */
  lines: number;
}

/**
 * The durable QoE log: append-only NDJSON files `events-00000001.ndjson`, ... in one directory,
 * rotated by size and kept up to `maxFiles`. Each append is one write of whole lines (and an
 * fdatasync), serialised with the others. A crash can leave at most a torn last line: `open` cuts
 * it off; a failed write is cut off too, or fenced with a newline before the next one, so a torn
 * line never swallows a good one. Damaged lines are skipped (and counted) by replay.
 */
export class FileQoeSink implements QoeSink {
  readonly kind = 'file';
  readonly persistent = true;
  readonly #options: FileQoeSinkOptions;
  #files: LogFile[] = [];
  #handle: FileHandle | undefined;
  /** Appends run one after another on this chain. */
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  #opened = false;
  /** A write failed and could not be cut off: check the tail before the next one. */
  #suspectTail = false;
  #droppedRecords = 0;
  #tornLines = 0;
  /** Damaged lines replay has met, as `fileIndex:byteOffset` (so that a second replay counts none twice). */
  readonly #badLines = new Set<string>();

  constructor(options: FileQoeSinkOptions) {
    if (!Number.isInteger(options.maxFiles) || options.maxFiles < 1) {
      throw new RangeError('FileQoeSink: maxFiles must be a positive integer');
    }
    if (!Number.isInteger(options.maxFileBytes) || options.maxFileBytes < 1) {
      throw new RangeError('FileQoeSink: maxFileBytes must be a positive integer');
    }
    this.#options = { ...options };
  }

  async open(): Promise<void> {
    if (this.#opened) return;
    const { dir } = this.#options;
    await mkdir(dir, { recursive: true });
    const indexes = (await readdir(dir))
      .map((name) => FILE_PATTERN.exec(name)?.[1])
      .filter((match): match is string => match !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const index of indexes) {
      const path = join(dir, fileName(index));
      const { size } = await stat(path);
      this.#files.push({ index, path, bytes: size, lines: 0 });
    }
    const last = this.#files.at(-1);
    if (last) await this.#cutTornTail(last);
    for (const file of this.#files) file.lines = await countLines(file.path, file.bytes);
    if (!last) this.#files.push(this.#newFile(1));
    const current = this.#current();
    this.#handle = await open(current.path, 'a');
    await this.#enforceRetention();
    this.#opened = true;
  }

  append(records: readonly StoredQoeEvent[]): Promise<void> {
    if (this.#closed || !this.#opened) {
      return Promise.reject(qoeError(QoeErrorCode.SinkClosed, 'the QoE log is closed'));
    }
    if (records.length === 0) return this.#chain;
    const data = Buffer.from(records.map(recordLine).join(''), 'utf8');
    const run = this.#chain.then(() => this.#write(data, records.length));
    // The chain goes on after a failure; the caller gets the failure.
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async *replay(): AsyncIterable<StoredQoeEvent> {
    const snapshot = this.#files.map((f) => ({ ...f }));
    for (const file of snapshot) {
      if (file.bytes === 0) continue;
      let offset = 0;
      let pending: Buffer | undefined;
      let stream;
      try {
        stream = createReadStream(file.path, { start: 0, end: file.bytes - 1 });
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
          let start = 0;
          for (let nl = buf.indexOf(NEWLINE, start); nl !== -1; nl = buf.indexOf(NEWLINE, start)) {
            const record = this.#parseLine(buf, start, nl, file.index, offset + start);
            if (record) yield record;
            start = nl + 1;
          }
          offset += start;
          pending = start < buf.length ? buf.subarray(start) : undefined;
        }
      } catch (err) {
        // Deleted by retention while being read: what it held is gone, like any dropped record.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
    }
  }

  stats(): QoeSinkStats {
    let lines = 0;
    let bytes = 0;
    for (const file of this.#files) {
      lines += file.lines;
      bytes += file.bytes;
    }
    return {
      records: lines - this.#badLines.size,
      bytes,
      droppedRecords: this.#droppedRecords,
      skippedLines: this.#tornLines + this.#badLines.size,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#chain;
    await this.#handle?.close();
    this.#handle = undefined;
  }

  #current(): LogFile {
    const current = this.#files.at(-1);
    if (!current) throw new Error('FileQoeSink: no current file');
    return current;
  }

  #newFile(index: number): LogFile {
    return { index, path: join(this.#options.dir, fileName(index)), bytes: 0, lines: 0 };
  }

  #parseLine(
    buf: Buffer,
    start: number,
    end: number,
    fileIndex: number,
    offset: number,
  ): StoredQoeEvent | undefined {
    if (end === start) return undefined;
    const record = parseRecordLine(buf.toString('utf8', start, end));
    if (!record) this.#badLines.add(`${fileIndex}:${offset}`);
    return record;
  }

  async #write(data: Buffer, records: number): Promise<void> {
    let current = this.#current();
    if (current.bytes > 0 && current.bytes + data.length > this.#options.maxFileBytes) {
      try {
        await this.#rotate();
      } catch (err) {
        throw qoeError(QoeErrorCode.SinkWrite, `cannot rotate the QoE log: ${(err as Error).message}`, {
          cause: err,
        });
      }
      current = this.#current();
    }
    const handle = this.#handle;
    if (!handle) throw qoeError(QoeErrorCode.SinkClosed, 'the QoE log is closed');
    let payload = data;
    if (this.#suspectTail) payload = await this.#fenced(handle, current, data);
    const before = current.bytes;
    try {
      await handle.appendFile(payload);
      if (this.#options.fsync) await handle.datasync();
    } catch (err) {
      try {
        await handle.truncate(before);
        this.#suspectTail = false;
      } catch {
        this.#suspectTail = true;
      }
      throw qoeError(QoeErrorCode.SinkWrite, `cannot append to the QoE log: ${(err as Error).message}`, {
        cause: err,
      });
    }
    current.bytes += payload.length;
    current.lines += records + (payload.length > data.length ? 1 : 0);
  }

  /** The data, preceded by a newline when the file does not end with one (a failed write's remains). */
  async #fenced(handle: FileHandle, current: LogFile, data: Buffer): Promise<Buffer> {
    const { size } = await handle.stat();
    current.bytes = size;
    if (size === 0) {
      this.#suspectTail = false;
      return data;
    }
    const last = Buffer.alloc(1);
    const reader = await open(current.path, 'r');
    try {
      await reader.read(last, 0, 1, size - 1);
    } finally {
      await reader.close();
    }
    this.#suspectTail = false;
    return last[0] === NEWLINE ? data : Buffer.concat([Buffer.from('\n'), data]);
  }

  async #rotate(): Promise<void> {
    const next = this.#newFile(this.#current().index + 1);
    const handle = await open(next.path, 'a');
    await this.#handle?.close();
    this.#handle = handle;
    this.#files.push(next);
    if (this.#options.fsync) await syncDirectory(this.#options.dir);
    await this.#enforceRetention();
  }

  async #enforceRetention(): Promise<void> {
    while (this.#files.length > this.#options.maxFiles) {
      const oldest = this.#files.shift();
      if (!oldest) break;
      await rm(oldest.path, { force: true });
      let bad = 0;
      for (const key of this.#badLines) {
        if (key.startsWith(`${oldest.index}:`)) {
          this.#badLines.delete(key);
          bad += 1;
        }
      }
      this.#droppedRecords += oldest.lines - bad;
    }
  }

  /** Cuts a torn last line (a crash during a write) off the newest file. */
  async #cutTornTail(file: LogFile): Promise<void> {
    if (file.bytes === 0) return;
    const handle = await open(file.path, 'r+');
    try {
      // Lines are at most a few KiB; a window of 1 MiB always reaches the previous newline.
      const window = Math.min(file.bytes, 1024 * 1024);
      const buf = Buffer.alloc(window);
      await handle.read(buf, 0, window, file.bytes - window);
      if (buf[window - 1] === NEWLINE) return;
      const lastNewline = buf.lastIndexOf(NEWLINE);
      const keep = lastNewline === -1 ? file.bytes - window : file.bytes - window + lastNewline + 1;
      await handle.truncate(keep);
      if (this.#options.fsync) await handle.datasync();
      file.bytes = keep;
      this.#tornLines += 1;
    } finally {
      await handle.close();
    }
  }
}

/** Newline bytes in the first `bytes` bytes of a file. */
async function countLines(path: string, bytes: number): Promise<number> {
  if (bytes === 0) return 0;
  let lines = 0;
  for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) lines += 1;
  }
  return lines;
}

/** fsync of a directory, so that a file created in it survives a power loss. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
