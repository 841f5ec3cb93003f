import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@common/clock';
import { JobHandler, JobHandlerOf } from '@infra/queues/job-handler.decorator';
import { JobName, JobPayloads } from '@infra/queues/queue.constants';
import { SuspenseService } from '../suspense.service';

/** Daily: every unresolved suspense item older than its policy's days raises SUSPENSE_AGED once (the event's dedupe key). */
@Injectable()
@JobHandler(JobName.SuspenseAging)
export class SuspenseAgingJob implements JobHandlerOf<JobName.SuspenseAging> {
  private readonly logger = new Logger(SuspenseAgingJob.name);

  constructor(
    private readonly suspense: SuspenseService,
    private readonly clock: Clock,
  ) {}

  async handle(payload: JobPayloads[JobName.SuspenseAging] = {}): Promise<{ aged: number }> {
    const today = payload.today ?? this.clock.today();
    const r = await this.suspense.raiseAged(today);
    if (r.aged) this.logger.log(`${r.aged} suspense items aged for ${today}`);
    return r;
  }
}
