import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface ActionEntry {
  actorId: string;
  role: string;
  scope: string;
  method: string;
  route: string;
  target: string | null;
  requestId: string;
  status: number;
  districtCode: string | null;
  institutionId: string | null;
}

export interface ActionRow {
  id: string;
  at: Date;
  actor_id: string;
  role: string;
  scope: string;
  method: string;
  route: string;
  target: string | null;
  request_id: string;
  status: number;
  district_code: string | null;
  institution_id: string | null;
}

export interface ActionChainRow {
  id: string;
  seq: string;
  prev: string;
  hash: string;
  recomputed: string;
}

/** The writer of `action_log` (append-only; its hash chain is computed by the insert trigger). */
@Injectable()
export class ActionLogRepository {
  async insert(m: EntityManager, e: ActionEntry): Promise<void> {
    await m.query(
      `INSERT INTO action_log (actor_id, role, scope, method, route, target, request_id, status, district_code, institution_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [e.actorId, e.role, e.scope, e.method, e.route, e.target, e.requestId, e.status, e.districtCode, e.institutionId],
    );
  }

  /** Many entries in one statement (one commit); the insert trigger chains each row, all on one chain per transaction. */
  async insertMany(m: EntityManager, es: ActionEntry[]): Promise<void> {
    const col = <K extends keyof ActionEntry>(k: K) => es.map((e) => e[k]);
    await m.query(
      `INSERT INTO action_log (actor_id, role, scope, method, route, target, request_id, status, district_code, institution_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::smallint[], $9::char(6)[], $10::uuid[])`,
      [col('actorId'), col('role'), col('scope'), col('method'), col('route'), col('target'), col('requestId'), col('status'), col('districtCode'), col('institutionId')],
    );
  }

  async districtOf(m: EntityManager, institutionId: string): Promise<string | null> {
    const rows: { district_code: string }[] = await m.query(`SELECT district_code FROM institutions WHERE id = $1`, [institutionId]);
    return rows[0]?.district_code ?? null;
  }

  /** Newest first, keyset on id. */
  list(m: EntityManager, f: { districtPatterns: string[] | null; districtCode?: string; institutionId?: string; beforeId?: string; limit: number }): Promise<ActionRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (f.districtPatterns) where.push(`district_code LIKE ANY(${p(f.districtPatterns)}::text[])`);
    if (f.districtCode) where.push(`district_code = ${p(f.districtCode)}`);
    if (f.institutionId) where.push(`institution_id = ${p(f.institutionId)}::uuid`);
    if (f.beforeId) where.push(`id < ${p(f.beforeId)}::bigint`);
    return m.query(
      `SELECT id::text, at, actor_id, role, scope, method, route, target, request_id, status, district_code, institution_id FROM action_log
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY action_log.id DESC LIMIT ${p(f.limit)}`,
      params,
    );
  }

  heads(m: EntityManager): Promise<{ chain: number; seq: string; last_id: string | null; last_hash: string }[]> {
    return m.query(`SELECT chain, seq::text, last_id::text, encode(last_hash, 'hex') AS last_hash FROM action_log_heads ORDER BY chain`);
  }

  chainPage(m: EntityManager, chain: number, afterSeq: string, limit: number): Promise<ActionChainRow[]> {
    return m.query(
      `SELECT a.id::text, a.chain_seq::text AS seq, encode(a.prev_hash, 'hex') AS prev, encode(a.hash, 'hex') AS hash,
              encode(action_log_digest(a.prev_hash, a), 'hex') AS recomputed
         FROM action_log a WHERE a.chain = $1 AND a.chain_seq > $2::bigint ORDER BY a.chain_seq LIMIT $3`,
      [chain, afterSeq, limit],
    );
  }
}
