import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsAffected } from '@infra/database/sql';

export interface QueueProbeRow {
  id: string;
  requested_at: Date;
  hold_ms: number;
  processed_at: Date | null;
  attempts: number;
  effects: number;
}

@Injectable()
export class DiagnosticsRepository {
  async insertProbe(m: EntityManager, id: string, requestedBy: string | null, holdMs: number): Promise<void> {
    await m.query(`INSERT INTO queue_probes (id, requested_by, hold_ms) VALUES ($1, $2, $3)`, [id, requestedBy, holdMs]);
  }

  async findProbe(m: EntityManager, id: string): Promise<QueueProbeRow | null> {
    const rows: QueueProbeRow[] = await m.query(`SELECT * FROM queue_probes WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async countAttempt(m: EntityManager, id: string): Promise<void> {
    await m.query(`UPDATE queue_probes SET attempts = attempts + 1 WHERE id = $1`, [id]);
  }

  /** Returns false when the probe does not exist. */
  async recordEffect(m: EntityManager, id: string): Promise<boolean> {
    const res: unknown = await m.query(`UPDATE queue_probes SET effects = effects + 1, processed_at = now() WHERE id = $1`, [id]);
    return rowsAffected(res) === 1;
  }
}
