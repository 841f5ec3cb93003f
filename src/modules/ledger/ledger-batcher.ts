import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { pgCode, PG_DEADLOCK_DETECTED, PG_SERIALIZATION_FAILURE } from '../../infra/database/pg-errors';
import { LedgerRepository, PostItem, PostResult } from './ledger.repository';

interface Pending {
  item: PostItem;
  resolve: (r: PostResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit for standalone postings: concurrent callers' transactions are sent together
 * in one `ledger_post` call (one round trip, one commit). While a batch is in flight the next
 * one fills up, so under load each commit carries many transfers; alone, a call goes out at
 * once (no added wait). Each item still succeeds or fails on its own. Batches running at the
 * same time use different balance stripes of hot accounts; a deadlock between two batches
 * (possible, rare) rolls one back whole, and it is retried.
 */
export class LedgerBatcher {
  private readonly logger = new Logger(LedgerBatcher.name);
  private queue: Pending[] = [];
  private inFlight = 0;
  private batchSeq = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly repo: LedgerRepository,
    private readonly maxBatch = 200,
    private readonly maxInFlight = 4,
  ) {}

  submit(item: PostItem): Promise<PostResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight += 1;
      void this.run(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    const stripe = this.batchSeq++;
    const items = batch.map((p) => ({ ...p.item, stripe_hint: stripe }));
    for (let attempt = 1; ; attempt++) {
      try {
        const results = await this.repo.post(this.ds.manager, items);
        batch.forEach((p, i) => p.resolve(results[i]));
        return;
      } catch (err) {
        const code = pgCode(err);
        if ((code === PG_DEADLOCK_DETECTED || code === PG_SERIALIZATION_FAILURE) && attempt < 5) {
          this.logger.warn(`ledger batch of ${batch.length} hit ${code}; retrying (attempt ${attempt + 1})`);
          continue;
        }
        batch.forEach((p) => p.reject(err));
        return;
      }
    }
  }
}
