import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { JobsOptions, Queue } from 'bullmq';
import { QueueBackend } from './queue-backend';
import { JOB_SPECS, JobName, JobPayloads, KEEP_COMPLETED_SECONDS, KEEP_FAILED_SECONDS, QueueName } from './queue.constants';

export const QUEUE_BACKEND = Symbol('QUEUE_BACKEND');

/** Producer side: typed, deterministic-id job creation and queue inspection. */
@Injectable()
export class QueueService implements OnApplicationShutdown {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(@Inject(QUEUE_BACKEND) private readonly backend: QueueBackend) {}

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = this.backend.createQueue(name);
      this.queues.set(name, q);
    }
    return q;
  }

  static jobOptions(name: JobName, jobId: string, extra: JobsOptions = {}): JobsOptions {
    const spec = JOB_SPECS[name];
    return {
      jobId,
      attempts: spec.attempts,
      backoff: { type: 'exponential', delay: spec.backoffMs },
      removeOnComplete: { age: KEEP_COMPLETED_SECONDS },
      removeOnFail: { age: KEEP_FAILED_SECONDS },
      ...extra,
    };
  }

  /** Adds a job; the id is the caller's deterministic key, so adding twice is harmless. */
  async add<N extends JobName>(name: N, payload: JobPayloads[N], jobId: string, extra?: JobsOptions): Promise<void> {
    await this.queue(JOB_SPECS[name].queue).add(name, payload, QueueService.jobOptions(name, jobId, extra));
  }

  async addBulk(jobs: { name: JobName; payload: unknown; jobId: string }[]): Promise<void> {
    const byQueue = new Map<QueueName, typeof jobs>();
    for (const job of jobs) {
      const q = JOB_SPECS[job.name].queue;
      byQueue.set(q, [...(byQueue.get(q) ?? []), job]);
    }
    for (const [queueName, list] of byQueue) {
      await this.queue(queueName).addBulk(
        list.map((j) => ({ name: j.name, data: j.payload, opts: QueueService.jobOptions(j.name, j.jobId) })),
      );
    }
  }

  async counts(): Promise<Record<QueueName, Record<string, number>>> {
    const result = {} as Record<QueueName, Record<string, number>>;
    for (const name of Object.values(QueueName)) {
      result[name] = await this.queue(name).getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
    }
    return result;
  }

  /** Readiness: the queue backend answers a round trip. */
  async ping(): Promise<void> {
    await this.queue(QueueName.Maintenance).getJobCounts('waiting');
  }

  get backendKind() {
    return this.backend.kind;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.backend.close();
  }
}
