import { Injectable, Logger } from '@nestjs/common';
import { JobHandler, JobHandlerOf } from '@infra/queues/job-handler.decorator';
import { JobName } from '@infra/queues/queue.constants';
import { IdempotencyRepository } from './idempotency.repository';

/** Daily: removes idempotency keys past their 7-day life, in bounded batches. */
@Injectable()
@JobHandler(JobName.IdempotencyCleanup)
export class IdempotencyCleanupJob implements JobHandlerOf<JobName.IdempotencyCleanup> {
  private readonly logger = new Logger(IdempotencyCleanupJob.name);

  constructor(private readonly repo: IdempotencyRepository) {}

  async handle(): Promise<{ deleted: number }> {
    let deleted = 0;
    for (;;) {
      const n = await this.repo.deleteExpired();
      deleted += n;
      if (n < 10_000) break;
    }
    this.logger.log(`Removed ${deleted} expired idempotency keys`);
    return { deleted };
  }
}
