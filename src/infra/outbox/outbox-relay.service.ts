import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@config/app-config';
import { JobName } from '../queues/queue.constants';
import { QueueService } from '../queues/queue.service';

interface OutboxRow {
  id: string;
  job_name: JobName;
  job_id: string;
  payload: unknown;
}

const BATCH = 500;

/**
 * Moves committed outbox rows into BullMQ. Rows are locked with SKIP LOCKED (several relays
 * may run), added with their deterministic job id, then marked relayed in the same
 * transaction. A crash after the add and before the commit re-adds the same job id, which
 * BullMQ drops while the job is kept (7 days), and handlers de-duplicate by job key anyway.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queues: QueueService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.PROCESS_ROLE === 'api') return;
    this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.relayOnce()
        .catch((err: Error) => {
          this.logger.warn(`Outbox relay failed, will retry: ${err.message}`);
          return 0;
        })
        .then((n) => {
          // Drain quickly while there is a backlog, otherwise poll.
          this.schedule(n === BATCH ? 0 : this.config.OUTBOX_POLL_MS);
          return n;
        });
    }, delay);
  }

  /** Relays one batch; returns how many rows it moved. Public for tests and the CLI. */
  async relayOnce(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const rows: OutboxRow[] = await manager.query(
        `SELECT id, job_name, job_id, payload FROM outbox WHERE relayed_at IS NULL
         ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
      );
      if (rows.length === 0) return 0;
      await this.queues.addBulk(rows.map((r) => ({ name: r.job_name, payload: r.payload, jobId: r.job_id })));
      await manager.query(`UPDATE outbox SET relayed_at = now() WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
      return rows.length;
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
