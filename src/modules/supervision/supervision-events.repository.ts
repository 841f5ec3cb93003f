import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export type Severity = 'info' | 'warning' | 'critical';

export interface SupervisionEventInput {
  institutionId: string;
  districtCode: string;
  type: string;
  severity: Severity;
  message: string;
  details?: Record<string, unknown>;
  /** One event per key: raising it again (a job run twice) does nothing. */
  dedupeKey: string;
}

export interface SupervisionEventRow {
  id: string;
  institution_id: string;
  district_code: string;
  type: string;
  severity: Severity;
  message: string;
  details: Record<string, unknown>;
  created_at: Date;
}

/** Money the regulator must look at (a credit in suspense, a failed or mismatching bank result). */
export interface EscrowExceptionInput {
  escrowAccountId: string;
  institutionId: string;
  type: string;
  /** Decimal string of the amount concerned (null when none applies). */
  amount: string | null;
  currency: string | null;
  details: Record<string, unknown>;
}

/** The writer of `supervision_events` and `escrow_exceptions` (both owned by the supervision module). */
@Injectable()
export class SupervisionEventsRepository {
  async recordException(m: EntityManager, e: EscrowExceptionInput): Promise<string> {
    const [row]: { id: string }[] = await m.query(
      `INSERT INTO escrow_exceptions (escrow_account_id, institution_id, type, amount, currency, details) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [e.escrowAccountId, e.institutionId, e.type, e.amount, e.currency, JSON.stringify(e.details)],
    );
    return row.id;
  }

  /** Returns true when the event is new. */
  async raise(m: EntityManager, e: SupervisionEventInput): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `INSERT INTO supervision_events (institution_id, district_code, type, severity, message, details, dedupe_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
      [e.institutionId, e.districtCode, e.type, e.severity, e.message, JSON.stringify(e.details ?? {}), e.dedupeKey],
    );
    return rows.length === 1;
  }

  /** Newest first, keyset on (created_at, id). */
  list(
    m: EntityManager,
    filter: { districtPatterns: string[] | null; institutionId?: string; type?: string; before?: { at: string; id: string }; limit: number },
  ): Promise<SupervisionEventRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (filter.districtPatterns) where.push(`district_code LIKE ANY(${p(filter.districtPatterns)})`);
    if (filter.institutionId) where.push(`institution_id = ${p(filter.institutionId)}`);
    if (filter.type) where.push(`type = ${p(filter.type)}`);
    if (filter.before) where.push(`(created_at, id) < (${p(filter.before.at)}::timestamptz, ${p(filter.before.id)}::uuid)`);
    return m.query(
      `SELECT id, institution_id, district_code, type, severity, message, details, created_at FROM supervision_events
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ${p(filter.limit)}`,
      params,
    );
  }
}
