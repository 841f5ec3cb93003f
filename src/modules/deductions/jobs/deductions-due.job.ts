import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@common/clock';
import { JobHandler, JobHandlerOf } from '@infra/queues/job-handler.decorator';
import { JobName, JobPayloads } from '@infra/queues/queue.constants';
import { DeductionsService } from '../deductions.service';

/**
 * Daily (00:45 China time; `POST /admin/deductions/run`). Instructs every deduction period due by
 * today, however many days ago (a day the worker was down is caught up, not skipped). Exactly once
 * per period: each contract is handled in its own transaction under its row lock, a period changes
 * state with its movement, and the movement's source `deduction.<period id>` is unique, so a second
 * run, a retry or a worker killed mid-run (its transaction rolls back) instructs nothing twice.
 */
@Injectable()
@JobHandler(JobName.DeductionsDue)
export class DeductionsDueJob implements JobHandlerOf<JobName.DeductionsDue> {
  private readonly logger = new Logger(DeductionsDueJob.name);

  constructor(
    private readonly deductions: DeductionsService,
    private readonly clock: Clock,
  ) {}

  async handle(payload: JobPayloads[JobName.DeductionsDue] = {}): Promise<{ instructed: number; contracts: number }> {
    const today = payload.today ?? this.clock.today();
    const r = await this.deductions.runDue(today);
    if (r.instructed) this.logger.log(`Deductions due by ${today}: ${r.instructed} instructed for ${r.contracts} contract(s)`);
    return { instructed: r.instructed, contracts: r.contracts };
  }
}
