import { QoeErrorCode, qoeError } from './errors.js';
import { parseRecordLine, recordLine, type QoeSink, type QoeSinkStats, type StoredQoeEvent } from './sink.js';

/**
 * A bounded in-memory sink: keeps the newest `maxRecords` records (older ones are dropped and
 * counted). Records are kept serialised, so what replay yields is a copy, exactly as the file sink
 * gives it back. Lost on restart.
 */
export class MemoryQoeSink implements QoeSink {
  readonly kind = 'memory';
  readonly persistent = false;
  readonly #maxRecords: number;
  /** Lines, oldest first, from `#head` on (a queue without O(n) shifts). */
  #lines: string[] = [];
  #head = 0;
  #bytes = 0;
  #dropped = 0;
  #closed = false;

  constructor(options: { maxRecords: number }) {
    if (!Number.isInteger(options.maxRecords) || options.maxRecords < 1) {
      throw new RangeError('MemoryQoeSink: maxRecords must be a positive integer');
    }
    this.#maxRecords = options.maxRecords;
  }

  open(): Promise<void> {
    return Promise.resolve();
  }

  append(records: readonly StoredQoeEvent[]): Promise<void> {
    if (this.#closed) return Promise.reject(qoeError(QoeErrorCode.SinkClosed, 'the QoE sink is closed'));
    for (const record of records) {
      const line = recordLine(record);
      this.#lines.push(line);
      this.#bytes += Buffer.byteLength(line);
    }
    while (this.#lines.length - this.#head > this.#maxRecords) {
      const oldest = this.#lines[this.#head];
      this.#head += 1;
      this.#dropped += 1;
      if (oldest !== undefined) this.#bytes -= Buffer.byteLength(oldest);
    }
    // Compact once the dropped prefix is half the array: amortised O(1) per record.
    if (this.#head > 1024 && this.#head * 2 > this.#lines.length) {
      this.#lines = this.#lines.slice(this.#head);
      this.#head = 0;
    }
    return Promise.resolve();
  }

  async *replay(): AsyncIterable<StoredQoeEvent> {
    const snapshot = this.#lines.slice(this.#head);
    for (const line of snapshot) {
      const record = parseRecordLine(line);
      if (record) yield record;
    }
    await Promise.resolve();
  }

  stats(): QoeSinkStats {
    return {
      records: this.#lines.length - this.#head,
      bytes: this.#bytes,
      droppedRecords: this.#dropped,
      skippedLines: 0,
    };
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#lines = [];
    this.#head = 0;
    this.#bytes = 0;
    return Promise.resolve();
  }
}
