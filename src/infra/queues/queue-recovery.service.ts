import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@config/app-config';
import { OUTBOX_RETENTION_DAYS, OutboxService } from '../outbox/outbox.service';
import { QueueBackend } from './queue-backend';
import { QUEUE_BACKEND } from './queue.service';
import { WorkerHost } from './worker-host.service';

/** How often worker processes check that the queue store still holds its jobs. */
const CHECK_MS = 1000;

/**
 * The database is the source of truth; the queue store is not. Redis without persistence (the
 * CI's, or a failover to an empty replica, or a flush) comes back empty after a restart: every
 * waiting, delayed and repeating job is gone while the database still says it is due (a
 * settlement instruction waiting for its retry would never be delivered). Worker processes check
 * every second (and at boot) that the store is intact; when it is not, they re-create the
 * repeating jobs and relay every outbox row of the retention window again. Each job comes back
 * with its deterministic id, so one still present is not added twice, and handlers are
 * idempotent, so a chain that already finished stops at once (a delivered instruction is done)
 * while one that lost its next job restarts from its source (an undelivered instruction is
 * attempted again, with the same webhook id). The store is marked intact only after recovery
 * succeeded; two workers recovering at once only relay the same ids twice.
 */
@Injectable()
export class QueueRecovery implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(QueueRecovery.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly config: AppConfig,
    @Inject(QUEUE_BACKEND) private readonly backend: QueueBackend,
    private readonly workers: WorkerHost,
    private readonly outbox: OutboxService,
    @InjectDataSource() private readonly ds: DataSource,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.PROCESS_ROLE === 'api' || this.backend.kind !== 'redis') return;
    this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.recoverIfLost()
        .catch((err: Error) => this.logger.warn(`Queue store check failed, will retry: ${err.message}`))
        .then(() => this.schedule(CHECK_MS));
    }, delay);
  }

  /** Recovers the jobs when the queue store lost them; true when it did. Public for tests. */
  async recoverIfLost(): Promise<boolean> {
    if (await this.backend.isIntact()) return false;
    if (this.config.SCHEDULER_ENABLED) await this.workers.upsertSchedules();
    const rows = await this.outbox.relayAgainSince(this.ds.manager, OUTBOX_RETENTION_DAYS);
    await this.backend.markIntact();
    if (rows > 0) this.logger.warn(`The queue store had lost its jobs (${this.backend.description}): ${rows} outbox rows relayed again`);
    return true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
