/**
 * Group commit in the process: callers hand in one item each and await its own outcome; items
 * that arrive while a flush is in flight wait for it and go together in the next one. No timer:
 * alone, an item is flushed at once (or after one turn of the event loop with `gatherTurn`), so
 * there is no added latency; under load a flush carries everything that queued during the
 * previous one, so a round trip and a commit serve many callers. Used by the HTTP plumbing
 * (Idempotency-Key claims and completions, action log rows), single attendances and the
 * settlement delivery's statements.
 *
 * A flush answers one outcome per item, in order: a value, or an Error for that item alone.
 * When the flush itself throws (a bad row, a lost connection, a deadlock), nothing of it was
 * written (each flush is one statement or one transaction) and each item is flushed again on
 * its own, so one bad item never fails the others; an item whose own flush fails too rejects
 * (its caller fails having recorded nothing, and a queued job is retried by the queue).
 */
export interface GroupWriterOptions {
  /** Most items in one flush (default 256). */
  maxItems?: number;
  /** Flushes running at once (default 1: one statement of a kind in flight, the next gathers meanwhile). */
  maxInFlight?: number;
  /**
   * An idle writer waits one turn of the event loop before its first flush, so the calls made in
   * the same turn (a queue worker's jobs started together) share it too (default false).
   */
  gatherTurn?: boolean;
}

export class GroupWriter<T, R> {
  private readonly queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxItems: number;
  private readonly maxInFlight: number;
  private readonly gatherTurn: boolean;

  constructor(
    private readonly flush: (items: T[]) => Promise<(R | Error)[]>,
    options: GroupWriterOptions = {},
  ) {
    this.maxItems = options.maxItems ?? 256;
    this.maxInFlight = options.maxInFlight ?? 1;
    this.gatherTurn = options.gatherTurn ?? false;
  }

  write(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.gatherTurn) return this.start();
      if (this.scheduled || this.inFlight >= this.maxInFlight) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.start();
      });
    });
  }

  /** Starts flushes while a slot is free and items wait (a drain takes its batch before its first await). */
  private start(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length) void this.drain();
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
