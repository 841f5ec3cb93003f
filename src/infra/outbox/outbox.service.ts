import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsAffected } from '../database/sql';
import { JobName, JobPayloads, JOB_SPECS } from '../queues/queue.constants';

/** Relayed rows are kept this long (as long as finished jobs are kept by id, so a re-relayed one is dropped). */
export const OUTBOX_RETENTION_DAYS = 7;

/**
 * Writes a job into the transactional outbox. Call it with the use case's EntityManager so
 * the job exists if and only if the state change commits. The relay turns it into a queued
 * job later; `jobId` is the deterministic id the job will carry (and the dedup key).
 */
@Injectable()
export class OutboxService {
  async enqueue<N extends JobName>(manager: EntityManager, name: N, payload: JobPayloads[N], jobId: string): Promise<void> {
    if (jobId.includes(':')) throw new Error(`Job id ${jobId} contains ':' (BullMQ forbids it; use jobId())`);
    await manager.query(
      `INSERT INTO outbox (queue_name, job_name, job_id, payload) VALUES ($1, $2, $3, $4)
       ON CONFLICT (job_id) DO NOTHING`,
      [JOB_SPECS[name].queue, name, jobId, JSON.stringify(payload)],
    );
  }

  /**
   * Rows relayed in the last `days` become pending again, so the relay adds their jobs once more
   * (with the same job ids): after the queue store lost its jobs. Returns how many.
   */
  async relayAgainSince(manager: EntityManager, days: number): Promise<number> {
    const res: unknown = await manager.query(`UPDATE outbox SET relayed_at = NULL WHERE relayed_at >= now() - make_interval(days => $1)`, [days]);
    return rowsAffected(res);
  }

  /** Relayed rows are kept `days` for inspection, then deleted (the jobs themselves live in the queue). */
  async deleteRelayedBefore(manager: EntityManager, days: number): Promise<number> {
    const res: unknown = await manager.query(`DELETE FROM outbox WHERE relayed_at IS NOT NULL AND relayed_at < now() - make_interval(days => $1)`, [days]);
    return rowsAffected(res);
  }
}
