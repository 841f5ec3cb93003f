/**
 * Coalesces the calls of concurrent deliveries into one statement each (group commit). Every call
 * waits for the flush that carries it: an attempt's record is committed before its job completes,
 * exactly as with a statement of its own, only shared. While `maxInFlight` flushes run, new calls
 * gather for the next one; an idle batcher flushes on the next turn of the event loop, so a lone
 * call waits no timer.
 *
 * A flush is one statement, so it commits all its calls or none. When it fails, each call is tried
 * once more on its own, so one bad item (or a row lock that timed out) fails only its own job; if
 * that fails too, the call rejects and its job fails and is retried by the queue, having recorded
 * nothing.
 */
export class GroupCommit<I, O> {
  private pending: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly flush: (items: I[]) => Promise<O[]>,
    private readonly options: { maxBatch: number; maxInFlight: number },
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.scheduled && this.inFlight < this.options.maxInFlight) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.pending.length > 0) {
      const batch = this.pending.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      void this.run(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async run(batch: GroupCommit<I, O>['pending']): Promise<void> {
    try {
      const out = await this.flush(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(out[i]));
    } catch (err) {
      if (batch.length === 1) {
        batch[0].reject(err);
        return;
      }
      await Promise.all(
        batch.map(async (b) => {
          try {
            b.resolve((await this.flush([b.item]))[0]);
          } catch (e) {
            b.reject(e);
          }
        }),
      );
    }
  }
}
