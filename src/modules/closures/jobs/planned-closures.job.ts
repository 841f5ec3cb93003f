import { Injectable, Logger } from '@nestjs/common';
import { JobHandler, JobHandlerOf } from '@infra/queues/job-handler.decorator';
import { JobName, JobPayloads } from '@infra/queues/queue.constants';
import { ClosuresService } from '../closures.service';

/** Hourly: planned closures whose date has come start (frozen, bulk refunds queued), each exactly once. */
@Injectable()
@JobHandler(JobName.PlannedClosures)
export class PlannedClosuresJob implements JobHandlerOf<JobName.PlannedClosures> {
  private readonly logger = new Logger(PlannedClosuresJob.name);

  constructor(private readonly closures: ClosuresService) {}

  async handle(payload: JobPayloads[JobName.PlannedClosures] = {}): Promise<{ started: string[] }> {
    const r = await this.closures.startDue(payload.today);
    if (r.started.length) this.logger.log(`${r.started.length} planned closure(s) started`);
    return r;
  }
}
