import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LIVENESS_LOCK_CLASS } from '@infra/database/process-liveness.service';
import { rowsOf } from '@infra/database/sql';

export interface IdempotencyRecord {
  request_hash: string;
  state: 'in_progress' | 'completed';
  response_status: number | null;
  response_body: unknown;
  stale: boolean;
}

/**
 * An in-progress key is abandoned when its owner process no longer holds its liveness lock
 * (it died: free at once). A live owner's key is never taken over, however long its request
 * runs, so two live requests with one key never both run. Only a key claimed without an owner
 * id (the process's liveness connection was down at that moment) falls back to the lock time.
 */
const ABANDONED = `state = 'in_progress' AND (
    (owner_instance IS NULL AND locked_at < now() - make_interval(secs => $3))
    OR (owner_instance IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND l.classid = ${LIVENESS_LOCK_CLASS}::oid AND l.objid = owner_instance::oid)))`;

@Injectable()
export class IdempotencyRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Claims the key; false when it already exists. */
  async claim(principalId: string, key: string, method: string, path: string, hash: string, ttlHours: number, owner: number | null): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(
      `INSERT INTO idempotency_keys (principal_id, idem_key, request_method, request_path, request_hash, state, expires_at, owner_instance)
       VALUES ($1, $2, $3, $4, $5, 'in_progress', now() + make_interval(hours => $6), $7)
       ON CONFLICT (principal_id, idem_key) DO NOTHING RETURNING 1`,
      [principalId, key, method, path, hash, ttlHours, owner],
    );
    return rows.length === 1;
  }

  /**
   * Claims many keys in one statement (one commit for concurrent requests); true for each key
   * this statement claimed. A key twice in `claims` is claimed by its first occurrence only.
   */
  async claimMany(claims: { principalId: string; key: string; method: string; path: string; hash: string; owner: number | null }[], ttlHours: number): Promise<boolean[]> {
    const seen = new Set<string>();
    const first = claims.map((c) => {
      const id = `${c.principalId}\n${c.key}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    const rows: { principal_id: string; idem_key: string }[] = await this.ds.query(
      `INSERT INTO idempotency_keys (principal_id, idem_key, request_method, request_path, request_hash, state, expires_at, owner_instance)
       SELECT x.p, x.k, x.m, x.u, x.h, 'in_progress', now() + make_interval(hours => $7), x.o
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[]) AS x(p, k, m, u, h, o)
       ON CONFLICT (principal_id, idem_key) DO NOTHING RETURNING principal_id, idem_key`,
      [...(['principalId', 'key', 'method', 'path', 'hash', 'owner'] as const).map((f) => claims.filter((_, i) => first[i]).map((c) => c[f])), ttlHours],
    );
    const claimed = new Set(rows.map((r) => `${r.principal_id}\n${r.idem_key}`));
    return claims.map((c, i) => first[i] && claimed.has(`${c.principalId}\n${c.key}`));
  }

  async find(principalId: string, key: string, lockSeconds: number): Promise<IdempotencyRecord | null> {
    const rows: IdempotencyRecord[] = await this.ds.query(
      `SELECT request_hash, state, response_status, response_body,
              (${ABANDONED}) AS stale
         FROM idempotency_keys WHERE principal_id = $1 AND idem_key = $2`,
      [principalId, key, lockSeconds],
    );
    return rows[0] ?? null;
  }

  /** Takes over an in-progress key whose request died (crashed process); false if someone else did. */
  async takeOverStale(principalId: string, key: string, lockSeconds: number, owner: number | null): Promise<boolean> {
    const rows: unknown = await this.ds.query(
      `UPDATE idempotency_keys SET locked_at = now(), owner_instance = $4
        WHERE principal_id = $1 AND idem_key = $2 AND ${ABANDONED} RETURNING 1`,
      [principalId, key, lockSeconds, owner],
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

  /** Stores the answers of many requests in one statement (one commit). */
  async completeMany(items: { principalId: string; key: string; status: number; body: unknown }[]): Promise<void> {
    await this.ds.query(
      `UPDATE idempotency_keys k SET state = 'completed', response_status = x.s, response_body = x.b
         FROM unnest($1::text[], $2::text[], $3::int[], $4::jsonb[]) AS x(p, k, s, b)
        WHERE k.principal_id = x.p AND k.idem_key = x.k`,
      [items.map((i) => i.principalId), items.map((i) => i.key), items.map((i) => i.status), items.map((i) => JSON.stringify(i.body ?? null))],
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
