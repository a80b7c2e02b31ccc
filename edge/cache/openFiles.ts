/**
 * Descriptors of the disk tier's object files, kept open between reads (a bounded, least recently
 * used set), so that a disk hit is one read instead of open, read and close: each of those is a
 * trip through libuv that costs about as much CPU here as reading a small object (nginx's
 * open_file_cache does the same).
 *
 * A descriptor belongs to one committed file version (its owner: the store's index entry), so it
 * keeps reading the bytes the index describes even after the file was replaced or deleted on
 * disk. It is closed once its owner is retired (the entry evicted, deleted, replaced or found
 * corrupt) or pushed out of the set, and no lease on it is left: a number closed under a pending
 * read could be reused by another open and the read would land in another file.
 */
import * as fs from 'node:fs';

/** A descriptor lent out for reads; release it (once) when done. */
export interface FileLease {
  readonly fd: number;
  release(): void;
}

interface Slot {
  fd: number;
  /** Leases not yet released. */
  users: number;
  /** No new leases: close once the last is released. */
  retired: boolean;
  closed: boolean;
}

interface Pending {
  promise: Promise<Slot>;
  /** Acquirers waiting on the open: each gets a lease on the slot it yields. */
  waiters: number;
  retired: boolean;
}

/**
 * Descriptors kept open by default, per store: a hot set of 512 objects served from disk without
 * an open per hit. Far under the descriptor limit node runs with (it raises the soft limit to the
 * hard one, 512k under systemd), and closed descriptors cost nothing.
 */
export const OPEN_FILES_DEFAULT_MAX = 512;

export class OpenFiles<Owner extends object> {
  /** Open slots in least recently used order (first is the oldest). */
  private readonly open = new Map<Owner, Slot>();
  private readonly pending = new Map<Owner, Pending>();

  constructor(private readonly maxOpen = OPEN_FILES_DEFAULT_MAX) {}

  /** A lease on the descriptor of `owner`'s file at `path`, opened if need be. */
  async acquire(owner: Owner, path: string): Promise<FileLease> {
    const slot = this.open.get(owner);
    if (slot !== undefined) {
      this.open.delete(owner);
      this.open.set(owner, slot);
      slot.users++;
      return this.lease(slot);
    }
    let pending = this.pending.get(owner);
    if (pending === undefined) {
      const p: Pending = { promise: undefined as unknown as Promise<Slot>, waiters: 0, retired: false };
      p.promise = new Promise<Slot>((resolve, reject) => {
        fs.open(path, 'r', (err, fd) => {
          if (this.pending.get(owner) === p) this.pending.delete(owner);
          if (err) {
            reject(err);
            return;
          }
          // Counted before any waiter resumes, so that shedding never closes it under them.
          const opened: Slot = { fd, users: p.waiters, retired: p.retired, closed: false };
          if (!opened.retired) {
            this.open.set(owner, opened);
            this.shed();
          }
          resolve(opened);
        });
      });
      this.pending.set(owner, p);
      pending = p;
    }
    pending.waiters++;
    return this.lease(await pending.promise);
  }

  /** No new leases for `owner`'s descriptor; closed once the current ones are released. */
  retire(owner: Owner): void {
    const pending = this.pending.get(owner);
    if (pending !== undefined) pending.retired = true;
    const slot = this.open.get(owner);
    if (slot === undefined) return;
    this.open.delete(owner);
    this.retireSlot(slot);
  }

  /** Retires every descriptor (the store closes). */
  retireAll(): void {
    for (const owner of [...this.open.keys()]) this.retire(owner);
    for (const pending of this.pending.values()) pending.retired = true;
  }

  /** Descriptors open now, leased or kept (for tests and metrics). */
  get openCount(): number {
    return this.open.size;
  }

  private lease(slot: Slot): FileLease {
    let released = false;
    return {
      fd: slot.fd,
      release: () => {
        if (released) return;
        released = true;
        slot.users--;
        if (slot.retired && slot.users === 0) this.closeSlot(slot);
      },
    };
  }

  /** Retires the least recently used descriptors beyond maxOpen. */
  private shed(): void {
    while (this.open.size > this.maxOpen) {
      const [owner, slot] = this.open.entries().next().value!;
      this.open.delete(owner);
      this.retireSlot(slot);
    }
  }

  private retireSlot(slot: Slot): void {
    slot.retired = true;
    if (slot.users === 0) this.closeSlot(slot);
  }

  private closeSlot(slot: Slot): void {
    if (slot.closed) return;
    slot.closed = true;
    fs.close(slot.fd, () => undefined);
  }
}
