import { Injectable } from '@nestjs/common';
import { DomainError } from '@common/errors/domain-error';
import { QueueName } from '@infra/queues/queue.constants';
import { QueueService } from '@infra/queues/queue.service';

export interface FailedJobView {
  id: string;
  name: string;
  attemptsMade: number;
  failedReason: string;
  finishedOn: string | null;
  data: unknown;
}

/** Queue inspection for admins, through the backend-agnostic BullMQ API only. */
@Injectable()
export class QueueAdminService {
  constructor(private readonly queues: QueueService) {}

  private queueOrThrow(name: string) {
    if (!(Object.values(QueueName) as string[]).includes(name)) throw new DomainError('NOT_FOUND', `Unknown queue ${name}`);
    return this.queues.queue(name as QueueName);
  }

  async overview(): Promise<{ queue: string; counts: Record<string, number>; failed: FailedJobView[] }[]> {
    const counts = await this.queues.counts();
    const result = [];
    for (const name of Object.values(QueueName)) {
      result.push({ queue: name, counts: counts[name], failed: await this.failed(name) });
    }
    return result;
  }

  async failed(name: string, limit = 50): Promise<FailedJobView[]> {
    const jobs = await this.queueOrThrow(name).getJobs(['failed'], 0, limit - 1);
    return jobs
      .filter((j) => j)
      .map((j) => ({
        id: String(j.id),
        name: j.name,
        attemptsMade: j.attemptsMade,
        failedReason: j.failedReason,
        finishedOn: j.finishedOn ? new Date(j.finishedOn).toISOString() : null,
        data: j.data,
      }));
  }

  async retry(name: string, jobId: string): Promise<{ id: string; state: string }> {
    const job = await this.queueOrThrow(name).getJob(jobId);
    if (!job) throw new DomainError('NOT_FOUND', `Job ${jobId} not found in ${name}`);
    const state = await job.getState();
    if (state !== 'failed') throw new DomainError('CONFLICT', `Job ${jobId} is ${state}, not failed`);
    await job.retry('failed');
    return { id: jobId, state: await job.getState() };
  }
}
