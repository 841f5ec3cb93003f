import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { JobExecutions } from '@infra/queues/job-executions';
import { JobHandler, JobHandlerOf } from '@infra/queues/job-handler.decorator';
import { JobName, JobPayloads } from '@infra/queues/queue.constants';
import { DiagnosticsRepository } from '../diagnostics.repository';

@Injectable()
@JobHandler(JobName.QueueProbe)
export class QueueProbeJob implements JobHandlerOf<JobName.QueueProbe> {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: DiagnosticsRepository,
    private readonly executions: JobExecutions,
  ) {}

  async handle({ probeId, holdMs }: JobPayloads[JobName.QueueProbe]): Promise<{ applied: boolean }> {
    // Counted outside the effect's transaction: it shows how often a worker started it.
    await this.repo.countAttempt(this.ds.manager, probeId);
    const applied = await this.ds.transaction(async (m) => {
      if (!(await this.executions.claim(m, `probe.${probeId}`, JobName.QueueProbe))) return false;
      // The hold happens inside the transaction: a worker killed here leaves no effect behind.
      if (holdMs > 0) await sleep(holdMs);
      if (!(await this.repo.recordEffect(m, probeId))) throw new Error(`queue probe ${probeId} does not exist`);
      return true;
    });
    return { applied };
  }
}
