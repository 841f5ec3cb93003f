import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { rowsOf } from '../../infra/database/sql';

export interface IdempotencyRecord {
  request_hash: string;
  state: 'in_progress' | 'completed';
  response_status: number | null;
  response_body: unknown;
  stale: boolean;
}

@Injectable()
export class IdempotencyRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Claims the key; false when it already exists. */
  async claim(principalId: string, key: string, method: string, path: string, hash: string, ttlHours: number): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(
      `INSERT INTO idempotency_keys (principal_id, idem_key, request_method, request_path, request_hash, state, expires_at)
       VALUES ($1, $2, $3, $4, $5, 'in_progress', now() + make_interval(hours => $6))
       ON CONFLICT (principal_id, idem_key) DO NOTHING RETURNING 1`,
      [principalId, key, method, path, hash, ttlHours],
    );
    return rows.length === 1;
  }

  async find(principalId: string, key: string, lockSeconds: number): Promise<IdempotencyRecord | null> {
    const rows: IdempotencyRecord[] = await this.ds.query(
      `SELECT request_hash, state, response_status, response_body,
              (state = 'in_progress' AND locked_at < now() - make_interval(secs => $3)) AS stale
         FROM idempotency_keys WHERE principal_id = $1 AND idem_key = $2`,
      [principalId, key, lockSeconds],
    );
    return rows[0] ?? null;
  }

  /** Takes over an in-progress key whose request died (crashed process); false if someone else did. */
  async takeOverStale(principalId: string, key: string, lockSeconds: number): Promise<boolean> {
    const rows: unknown = await this.ds.query(
      `UPDATE idempotency_keys SET locked_at = now()
        WHERE principal_id = $1 AND idem_key = $2 AND state = 'in_progress'
          AND locked_at < now() - make_interval(secs => $3) RETURNING 1`,
      [principalId, key, lockSeconds],
    );
    return rowsOf(rows).length === 1;
  }

  async complete(principalId: string, key: string, status: number, body: unknown): Promise<void> {
    await this.ds.query(
      `UPDATE idempotency_keys SET state = 'completed', response_status = $3, response_body = $4
        WHERE principal_id = $1 AND idem_key = $2`,
      [principalId, key, status, JSON.stringify(body ?? null)],
    );
  }

  /** Frees the key after an unexpected failure, so the client can retry. */
  async release(principalId: string, key: string): Promise<void> {
    await this.ds.query(`DELETE FROM idempotency_keys WHERE principal_id = $1 AND idem_key = $2 AND state = 'in_progress'`, [
      principalId,
      key,
    ]);
  }

  async deleteExpired(limit = 10_000): Promise<number> {
    const rows: unknown = await this.ds.query(
      `DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
         SELECT ctid FROM idempotency_keys WHERE expires_at < now() LIMIT $1)) RETURNING 1`,
      [limit],
    );
    return rowsOf(rows).length;
  }
}
