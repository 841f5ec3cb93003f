import { Logger } from '@nestjs/common';
import {
  createPostgresBackend,
  Job,
  Processor,
  Queue,
  runMigrations as runBullmqMigrations,
  withBackend,
  Worker,
  WorkerOptions,
} from 'bullmq';
import IORedis from 'ioredis';
import { Pool } from 'pg';

export type QueueBackendKind = 'postgres' | 'redis';

export interface QueueBackendOptions {
  kind: QueueBackendKind;
  /** Redis URL, or the PostgreSQL URL of the application database. */
  url: string;
  /** Redis key prefix, or PostgreSQL schema name. */
  prefix: string;
}

export interface WorkerSettings {
  concurrency: number;
  lockDuration: number;
  stalledInterval: number;
}

/**
 * The one place that knows how to build BullMQ queues and workers for the configured
 * backend: Redis through ioredis, or BullMQ's PostgreSQL backend in a schema of the
 * application database. Everything above it sees plain `Queue`/`Worker` objects.
 */
export class QueueBackend {
  private readonly logger = new Logger(QueueBackend.name);
  private redis?: IORedis;
  private readonly closers: (() => Promise<unknown>)[] = [];

  constructor(readonly options: QueueBackendOptions) {}

  get kind(): QueueBackendKind {
    return this.options.kind;
  }

  get description(): string {
    return this.kind === 'redis'
      ? `BullMQ on Redis (${this.options.url.replace(/\/\/[^@]*@/, '//***@')}, prefix "${this.options.prefix}")`
      : `BullMQ on PostgreSQL (schema "${this.schema}" of the application database)`;
  }

  get schema(): string {
    return `bullmq_${this.options.prefix}`;
  }

  /**
   * Whether the queue store still holds what was put in it. Redis keeps the queues in memory: a
   * restart without persistence, a failover to an empty replica or a flush loses every job, and
   * the marker key set by `markIntact` (beside BullMQ's keys) with them. The PostgreSQL backend's
   * jobs live in the application database, which loses nothing on its own: always intact.
   */
  async isIntact(): Promise<boolean> {
    if (this.kind !== 'redis') return true;
    return (await this.redisConnection().exists(this.markerKey)) === 1;
  }

  async markIntact(): Promise<void> {
    if (this.kind === 'redis') await this.redisConnection().set(this.markerKey, new Date().toISOString());
  }

  private get markerKey(): string {
    return `${this.options.prefix}:escrow:queue-store-marker`;
  }

  /** Creates BullMQ's own tables for the PostgreSQL backend (idempotent, concurrency-safe). */
  async prepare(): Promise<void> {
    if (this.kind !== 'postgres') return;
    const pool = new Pool({ connectionString: this.options.url, max: 1 });
    const client = await pool.connect();
    try {
      await runBullmqMigrations(client, this.schema);
    } finally {
      client.release();
      await pool.end();
    }
  }

  private redisConnection(): IORedis {
    if (!this.redis) {
      // Workers block on Redis; BullMQ requires maxRetriesPerRequest: null for them.
      this.redis = new IORedis(this.options.url, { maxRetriesPerRequest: null, enableReadyCheck: true });
      this.redis.on('error', (err) => this.logger.warn(`Redis connection error: ${err.message}`));
    }
    return this.redis;
  }

  private postgresConnection(poolMax: number) {
    return { connectionString: this.options.url, schema: this.schema, max: poolMax, skipMigrations: true };
  }

  createQueue<T = unknown>(name: string): Queue<T> {
    let queue: Queue<T>;
    if (this.kind === 'redis') {
      queue = new Queue<T>(name, { connection: this.redisConnection(), prefix: this.options.prefix });
    } else {
      const Bound = withBackend(createPostgresBackend);
      queue = new Bound.Queue<T>(name, { connection: this.postgresConnection(4) }) as unknown as Queue<T>;
    }
    queue.on('error', (err) => this.logger.warn(`Queue ${name} error: ${err.message}`));
    this.closers.push(() => queue.close());
    return queue;
  }

  createWorker<T = unknown>(name: string, processor: Processor<T>, settings: WorkerSettings): Worker<T> {
    const common: Omit<WorkerOptions, 'connection'> = {
      concurrency: settings.concurrency,
      lockDuration: settings.lockDuration,
      stalledInterval: settings.stalledInterval,
      maxStalledCount: 3,
      autorun: false,
    };
    let worker: Worker<T>;
    if (this.kind === 'redis') {
      worker = new Worker<T>(name, processor, {
        ...common,
        prefix: this.options.prefix,
        // A worker needs its own blocking connection; BullMQ duplicates the shared one.
        connection: this.redisConnection(),
      });
    } else {
      const Bound = withBackend(createPostgresBackend);
      worker = new Bound.Worker<T>(name, processor as never, {
        ...common,
        connection: this.postgresConnection(Math.max(4, settings.concurrency + 2)),
      }) as unknown as Worker<T>;
    }
    worker.on('error', (err) => this.logger.warn(`Worker ${name} error: ${err.message}`));
    return worker;
  }

  /** Closes queues and the shared Redis connection (workers are closed by their owner first). */
  async close(): Promise<void> {
    await Promise.allSettled(this.closers.map((c) => c()));
    if (this.redis) await this.redis.quit().catch(() => undefined);
  }
}

export type AnyJob = Job<unknown, unknown, string>;
