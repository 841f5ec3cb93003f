import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JobHandler, JobHandlerOf } from '../queues/job-handler.decorator';
import { JobName } from '../queues/queue.constants';
import { OUTBOX_RETENTION_DAYS, OutboxService } from './outbox.service';

/** Daily: relayed outbox rows older than a week are deleted by the outbox's owner. */
@Injectable()
@JobHandler(JobName.OutboxCleanup)
export class OutboxCleanupJob implements JobHandlerOf<JobName.OutboxCleanup> {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly outbox: OutboxService,
  ) {}

  async handle(): Promise<{ deleted: number }> {
    return { deleted: await this.outbox.deleteRelayedBefore(this.ds.manager, OUTBOX_RETENTION_DAYS) };
  }
}
