import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/**
 * Exactly-once effects for at-least-once jobs: a handler records its job key in the same
 * transaction as its effects. A retried or duplicated job finds the key and does nothing.
 */
@Injectable()
export class JobExecutions {
  /** Returns false when this job key already ran to completion. */
  async claim(manager: EntityManager, jobKey: string, jobName: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO job_executions (job_key, job_name) VALUES ($1, $2) ON CONFLICT (job_key) DO NOTHING RETURNING job_key`,
      [jobKey, jobName],
    );
    return rows.length === 1;
  }
}
