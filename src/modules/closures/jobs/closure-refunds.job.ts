import { Injectable, Logger } from '@nestjs/common';
import { JobHandler, JobHandlerOf } from '@infra/queues/job-handler.decorator';
import { JobName, JobPayloads } from '@infra/queues/queue.constants';
import { ClosureRefundsService } from '../closure-refunds.service';

/**
 * Bulk refunds of a closure. Resumable: each contract's refund and its record commit together,
 * so a retry, a second worker or a run after a crash skips what is done and refunds the rest.
 */
@Injectable()
@JobHandler(JobName.ClosureRefunds)
export class ClosureRefundsJob implements JobHandlerOf<JobName.ClosureRefunds> {
  private readonly logger = new Logger(ClosureRefundsJob.name);

  constructor(private readonly closures: ClosureRefundsService) {}

  async handle({ closureId }: JobPayloads[JobName.ClosureRefunds]): Promise<{ processed: number; remaining: number }> {
    const r = await this.closures.processRefunds(closureId);
    this.logger.log(`Closure ${closureId}: ${r.processed} contracts processed, ${r.remaining} remaining`);
    return r;
  }
}
