import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import { AppConfig } from '@config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { JobRegistry } from './job-registry';
import { QueueBackend } from './queue-backend';
import { QueueName, SCHEDULES, JOB_SPECS, KEEP_COMPLETED_SECONDS } from './queue.constants';
import { QUEUE_BACKEND, QueueService } from './queue.service';

/**
 * Runs one BullMQ worker per queue in processes whose role includes `worker`, dispatching
 * by job name to the registered handler, and upserts the repeating schedules.
 */
@Injectable()
export class WorkerHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHost.name);
  private readonly workers: Worker[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly registry: JobRegistry,
    private readonly queues: QueueService,
    private readonly metrics: MetricsService,
    @Inject(QUEUE_BACKEND) private readonly backend: QueueBackend,
  ) {}

  get enabled(): boolean {
    return this.config.PROCESS_ROLE !== 'api';
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    for (const queueName of Object.values(QueueName)) {
      const worker = this.backend.createWorker(queueName, (job) => this.dispatch(job), {
        concurrency: this.config.QUEUE_CONCURRENCY,
        lockDuration: this.config.QUEUE_LOCK_DURATION_MS,
        stalledInterval: this.config.QUEUE_STALLED_INTERVAL_MS,
      });
      worker.on('failed', (job, err) => {
        this.metrics.jobFailures.inc({ queue: queueName, job: job?.name ?? 'unknown' });
        this.logger.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, `Job ${job?.name} failed`);
      });
      this.workers.push(worker);
      void worker.run().catch((err: Error) => this.logger.error(`Worker ${queueName} stopped: ${err.message}`));
    }
    if (this.config.SCHEDULER_ENABLED) await this.upsertSchedules();
  }

  /** Creates (or updates) the repeating jobs; idempotent. Also after the queue store lost them. */
  async upsertSchedules(): Promise<void> {
    for (const s of SCHEDULES) {
      await this.queues.queue(JOB_SPECS[s.job].queue).upsertJobScheduler(
        s.id,
        { pattern: s.pattern, tz: 'Asia/Shanghai' },
        { name: s.job, data: {}, opts: { removeOnComplete: { age: KEEP_COMPLETED_SECONDS }, attempts: JOB_SPECS[s.job].attempts } },
      );
    }
  }

  private async dispatch(job: Job): Promise<unknown> {
    const handler = this.registry.get(job.name);
    if (!handler) throw new UnrecoverableError(`No handler for job ${job.name}`);
    return handler.handle(job.data as never, job as never);
  }

  /** Waits for active jobs to finish; jobs not finished in time are left locked and retried by another worker. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.close()));
    this.workers.length = 0;
  }
}
