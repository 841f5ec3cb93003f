/**
 * Group commit in the process: callers hand in one item each and await its own outcome; items
 * that arrive while a flush is in flight wait for it and go together in the next one. No timer:
 * alone, an item is flushed at once (no added latency); under load a flush carries everything
 * that queued during the previous one, so a round trip and a commit serve many requests.
 *
 * A flush answers one outcome per item, in order: a value, or an Error for that item alone.
 * When the flush itself throws (a bad row, a lost connection, a deadlock), nothing of it was
 * written (each flush is one statement or one transaction) and each item is flushed again on
 * its own, so one bad item never fails the others.
 */
export class GroupWriter<T, R> {
  private readonly queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;

  constructor(
    private readonly flush: (items: T[]) => Promise<(R | Error)[]>,
    private readonly maxItems = 256,
    private readonly maxInFlight = 1,
  ) {}

  write(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.inFlight < this.maxInFlight) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.inFlight++;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxItems);
        let out: (R | Error)[];
        try {
          out = await this.flush(batch.map((b) => b.item));
        } catch (err) {
          if (batch.length === 1) {
            batch[0].reject(err);
            continue;
          }
          out = await Promise.all(batch.map((b) => this.flush([b.item]).then((r) => r[0], (e: unknown) => (e instanceof Error ? e : new Error(String(e))))));
        }
        batch.forEach((b, i) => (out[i] instanceof Error ? b.reject(out[i]) : b.resolve(out[i] as R)));
      }
    } finally {
      this.inFlight--;
    }
  }
}
