import { Injectable } from '@nestjs/common';
import { Clock } from '@common/clock';
import { JobHandler, JobHandlerOf } from '@infra/queues/job-handler.decorator';
import { JobName, JobPayloads } from '@infra/queues/queue.constants';
import { CheckpointResult, DayCloseResult, LedgerDayCloseService } from '../ledger-day-close.service';

/**
 * Every 5 minutes (the schedule), so a day is closed soon after China midnight and a missed run or a day
 * that had to wait is caught up by the next one; closing is exactly once per day whatever runs.
 * Then the checkpoints (the audit of now adds at most about 5 minutes of postings to the last).
 */
@Injectable()
@JobHandler(JobName.LedgerDayClose)
export class LedgerDayCloseJob implements JobHandlerOf<JobName.LedgerDayClose> {
  constructor(
    private readonly days: LedgerDayCloseService,
    private readonly clock: Clock,
  ) {}

  async handle(payload: JobPayloads[JobName.LedgerDayClose] = {}): Promise<DayCloseResult & { checkpoints: CheckpointResult }> {
    const closed = await this.days.closeDays(payload.today ?? this.clock.today());
    return { ...closed, checkpoints: await this.days.takeCheckpoints(this.clock.now()) };
  }
}
