import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { Client } from 'pg';
import { DatabaseUrl } from './database-url';

/** First key of the two-key advisory locks that mark a live process ('ESCR'). */
export const LIVENESS_LOCK_CLASS = 0x45534352;

/** How soon a lost liveness connection is re-made (claims made meanwhile carry no owner). */
const RETRY_MS = 500;

const newInstanceId = () => randomInt(1, 2 ** 31 - 1);

/**
 * Proves to other processes that this one is alive: a dedicated connection holds a session
 * advisory lock on this process's random instance id. PostgreSQL drops the lock the moment the
 * connection goes away, which is the moment the process dies (SIGKILL, OOM, power loss of the
 * host as soon as TCP notices), so work this process claimed (an in-progress Idempotency-Key)
 * can be taken over at once instead of after a timeout. While the connection is being re-made
 * the id is null and callers fall back to their timeouts.
 *
 * Each connection takes a NEW id. When the connection is lost with the database (a restart, a
 * failover), requests in flight failed with it, and the ones that failed while it was away could
 * not free their claims; re-taking the same id would keep those claims "alive" for the whole
 * lock time. A fresh id leaves them ownerless, so their clients' retries take them over at once.
 * (Were only this connection lost, a claim of a request still running could be taken over by a
 * duplicate meanwhile; the money paths de-duplicate on natural keys as well.)
 */
@Injectable()
export class ProcessLiveness implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ProcessLiveness.name);
  /** The id of the current connection's lock (valid while `held`): positive int4, the advisory lock's second key as is. */
  private instanceId = 0;
  private client: Client | null = null;
  private held = false;
  private stopping = false;

  constructor(private readonly db: DatabaseUrl) {}

  /** The instance id while its lock is held, else null (claims then carry no owner). */
  get liveInstanceId(): number | null {
    return this.held ? this.instanceId : null;
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const id = newInstanceId();
    const client = new Client({ connectionString: this.db.url, application_name: 'escrow-liveness' });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query('SELECT pg_advisory_lock($1::int4, $2::int4)', [LIVENESS_LOCK_CLASS, id]);
      this.instanceId = id;
      this.client = client;
      this.held = true;
    } catch (err) {
      this.logger.warn(`Liveness lock not taken (${(err as Error).message}); retrying in ${RETRY_MS} ms`);
      await client.end().catch(() => undefined);
      this.retryLater();
    }
  }

  private lost(client: Client, err?: Error): void {
    if (this.client !== client) return;
    this.client = null;
    this.held = false;
    if (this.stopping) return;
    this.logger.warn(`Liveness connection lost${err ? ` (${err.message})` : ''}; reconnecting`);
    this.retryLater();
  }

  private retryLater(): void {
    if (this.stopping) return;
    setTimeout(() => void this.connect(), RETRY_MS).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.held = false;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
