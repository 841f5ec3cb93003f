import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@common/clock';
import { JobHandler, JobHandlerOf } from '@infra/queues/job-handler.decorator';
import { JobName, JobPayloads } from '@infra/queues/queue.constants';
import { InstalmentsService } from '../instalments.service';

/**
 * Daily (00:50 China time; `POST /admin/instalments/run`): pre-notifies the payer of each debit
 * within the policy's notice and instructs each debit due (collection dates and retries up to
 * today, missed days included). Each contract in its own transaction under its row lock; each
 * instalment changes state with its movement, whose source names the try (`debit.<id>.<try>`), so
 * a second run or a retry sends nothing twice.
 */
@Injectable()
@JobHandler(JobName.InstalmentsDue)
export class InstalmentsDueJob implements JobHandlerOf<JobName.InstalmentsDue> {
  private readonly logger = new Logger(InstalmentsDueJob.name);

  constructor(
    private readonly instalments: InstalmentsService,
    private readonly clock: Clock,
  ) {}

  async handle(payload: JobPayloads[JobName.InstalmentsDue] = {}): Promise<{ notified: number; instructed: number }> {
    const today = payload.today ?? this.clock.today();
    const r = await this.instalments.runDue(today);
    if (r.notified || r.instructed) this.logger.log(`Instalments by ${today}: ${r.notified} pre-notified, ${r.instructed} debits instructed`);
    return { notified: r.notified, instructed: r.instructed };
  }
}
