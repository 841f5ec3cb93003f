import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '@infra/database/sql';
import type { ExceptionState } from './exception-state-machine';

/**
 * SQL of the people's side of reconciliation: resolutions and adjustments (written here, both
 * append-only but for an adjustment's one approval), and what a resolution reads of exceptions and
 * matches (written only by the engine). The HTTP read models are in reconciliation-reads.repository.ts.
 * Dates and amounts leave as text: never a JS Date shifted by a time zone, never a float.
 */

export interface ExceptionViewRow {
  id: string;
  type: string;
  state: ExceptionState;
  escrow_account_id: string;
  institution_id: string;
  district_code: string;
  business_date: string;
  currency: string;
  amount: string;
  effect: string;
  statement_id: string | null;
  line: number | null;
  bank_reference: string | null;
  source: 'credit' | 'movement' | 'adjustment' | null;
  record_id: string | null;
  platform_reference: string | null;
  details: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  /** created_at to the microsecond, for keyset cursors (a millisecond ISO string would skip rows). */
  cursor_at: string;
}

export interface ResolutionRow {
  id: string;
  exception_id: string;
  action: string;
  reason: string;
  actor: string;
  actor_role: string;
  match_group_id: string | null;
  adjustment_id: string | null;
  credit_id: string | null;
  reverses_id: string | null;
  reversed_by_id: string | null;
  created_at: Date;
}

export interface NewResolution {
  exceptionId: string;
  action: string;
  reason: string;
  actor: string;
  actorRole: string;
  matchGroupId?: string | null;
  adjustmentId?: string | null;
  creditId?: string | null;
  reversesId?: string | null;
}

export interface MatchViewRow {
  id: string;
  group_id: string;
  part: number;
  parts: number;
  statement_id: string;
  line: number;
  bank_date: string;
  bank_amount: string;
  source: string;
  record_id: string;
  record_amount: string;
  difference: string;
  method: string;
  resolution_id: string | null;
  created_at: Date;
  reversed_at: Date | null;
  reversal_reason: string | null;
}

export interface AdjustmentRow {
  id: string;
  exception_id: string;
  escrow_account_id: string;
  amount: string;
  currency: string;
  reason: string;
  proposed_by: string;
  proposed_at: Date;
  approved_by: string | null;
  approved_at: Date | null;
  ledger_txn_id: string | null;
}

export const EXCEPTION_COLUMNS = `x.id, x.type, x.state, x.escrow_account_id, x.institution_id, x.district_code, x.business_date::text AS business_date,
  x.currency, x.amount::text AS amount, x.effect::text AS effect, x.statement_id, x.line, x.bank_reference, x.source, x.record_id,
  x.platform_reference, x.details, x.created_at, x.updated_at,
  to_char(x.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at`;

const RESOLUTION_COLUMNS = `r.id, r.exception_id, r.action, r.reason, r.actor, r.actor_role, r.match_group_id, r.adjustment_id, r.credit_id,
  r.reverses_id, (SELECT v.id FROM reconciliation_resolutions v WHERE v.reverses_id = r.id) AS reversed_by_id, r.created_at`;

const ADJUSTMENT_COLUMNS = `id, exception_id, escrow_account_id, amount::text AS amount, currency, reason, proposed_by, proposed_at,
  approved_by, approved_at, ledger_txn_id::text AS ledger_txn_id`;

@Injectable()
export class ResolutionsRepository {
  /** One exception; `lock` holds it (FOR UPDATE) so two resolutions of it run one after the other. */
  async exception(m: EntityManager, id: string, lock = false): Promise<ExceptionViewRow | null> {
    const rows: ExceptionViewRow[] = await m.query(`SELECT ${EXCEPTION_COLUMNS} FROM reconciliation_exceptions x WHERE x.id = $1 ${lock ? 'FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  }

  /** Open or accepted exceptions about the same bank line or platform record (a match by hand settles them too), locked. */
  openSiblings(m: EntityManager, exceptionId: string, line: { statementId: string; line: number } | null, record: { source: string; recordId: string } | null): Promise<ExceptionViewRow[]> {
    return m.query(
      `SELECT ${EXCEPTION_COLUMNS} FROM reconciliation_exceptions x
        WHERE x.state IN ('open', 'accepted') AND x.id <> $1
          AND ((x.type = 'MISSING_IN_LEDGER' AND x.statement_id = $2::uuid AND x.line = $3::int)
            OR (x.type = 'MISSING_AT_BANK' AND x.source = $4 AND x.record_id = $5::uuid))
        ORDER BY x.id FOR UPDATE`,
      [exceptionId, line?.statementId ?? null, line?.line ?? null, record?.source ?? null, record?.recordId ?? null],
    );
  }

  resolutionsOf(m: EntityManager, exceptionId: string): Promise<ResolutionRow[]> {
    return m.query(`SELECT ${RESOLUTION_COLUMNS} FROM reconciliation_resolutions r WHERE r.exception_id = $1 ORDER BY r.created_at, r.id`, [exceptionId]);
  }

  async resolution(m: EntityManager, id: string): Promise<ResolutionRow | null> {
    const rows: ResolutionRow[] = await m.query(`SELECT ${RESOLUTION_COLUMNS} FROM reconciliation_resolutions r WHERE r.id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** Resolutions still in force (not reversed) that settled exceptions through this match group. */
  activeResolutionsOfGroup(m: EntityManager, groupId: string): Promise<ResolutionRow[]> {
    return m.query(
      `SELECT ${RESOLUTION_COLUMNS} FROM reconciliation_resolutions r
        WHERE r.match_group_id = $1 AND r.action <> 'reversal'
          AND NOT EXISTS (SELECT 1 FROM reconciliation_resolutions v WHERE v.reverses_id = r.id)
        ORDER BY r.created_at, r.id`,
      [groupId],
    );
  }

  async insertResolution(m: EntityManager, r: NewResolution): Promise<ResolutionRow> {
    const [row]: { id: string }[] = await m.query(
      `INSERT INTO reconciliation_resolutions (exception_id, action, reason, actor, actor_role, match_group_id, adjustment_id, credit_id, reverses_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
      [r.exceptionId, r.action, r.reason, r.actor, r.actorRole, r.matchGroupId ?? null, r.adjustmentId ?? null, r.creditId ?? null, r.reversesId ?? null],
    );
    return (await this.resolution(m, row.id))!;
  }

  /** The active match group of a resolution (when the engine chose the group id, the match names the resolution). */
  async groupOfResolution(m: EntityManager, resolutionId: string): Promise<string | null> {
    const rows: { group_id: string }[] = await m.query(`SELECT group_id FROM reconciliation_matches WHERE resolution_id = $1 ORDER BY created_at DESC LIMIT 1`, [resolutionId]);
    return rows[0]?.group_id ?? null;
  }

  /** Matches of the exception's bank line or record, or made by its resolutions: reversed ones too (the history). */
  matchesOf(m: EntityManager, x: ExceptionViewRow): Promise<MatchViewRow[]> {
    return m.query(
      `SELECT id, group_id, part, parts, statement_id, line, bank_date::text AS bank_date, bank_amount::text AS bank_amount, source, record_id,
              record_amount::text AS record_amount, difference::text AS difference, method, resolution_id, created_at, reversed_at, reversal_reason
         FROM reconciliation_matches
        WHERE (statement_id = $1::uuid AND line = $2::int)
           OR (source = $3 AND record_id = $4::uuid)
           OR group_id IN (SELECT match_group_id FROM reconciliation_resolutions WHERE exception_id = $5 AND match_group_id IS NOT NULL)
           OR resolution_id IN (SELECT id FROM reconciliation_resolutions WHERE exception_id = $5)
        ORDER BY created_at, group_id, part`,
      [x.statement_id, x.line, x.source, x.record_id, x.id],
    );
  }

  /** Is this bank line in an active match? */
  async lineMatched(m: EntityManager, statementId: string, line: number): Promise<boolean> {
    const rows = await m.query(`SELECT 1 FROM reconciliation_matches WHERE statement_id = $1 AND line = $2 AND reversed_at IS NULL LIMIT 1`, [statementId, line]);
    return rows.length > 0;
  }

  adjustmentsOf(m: EntityManager, exceptionId: string): Promise<AdjustmentRow[]> {
    return m.query(`SELECT ${ADJUSTMENT_COLUMNS} FROM reconciliation_adjustments WHERE exception_id = $1 ORDER BY proposed_at, id`, [exceptionId]);
  }

  async adjustment(m: EntityManager, id: string, lock = false): Promise<AdjustmentRow | null> {
    const rows: AdjustmentRow[] = await m.query(`SELECT ${ADJUSTMENT_COLUMNS} FROM reconciliation_adjustments WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  }

  async insertAdjustment(m: EntityManager, a: { exceptionId: string; escrowAccountId: string; amount: string; currency: string; reason: string; proposedBy: string }): Promise<AdjustmentRow> {
    const [row]: { id: string }[] = await m.query(
      `INSERT INTO reconciliation_adjustments (exception_id, escrow_account_id, amount, currency, reason, proposed_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [a.exceptionId, a.escrowAccountId, a.amount, a.currency, a.reason, a.proposedBy],
    );
    return (await this.adjustment(m, row.id))!;
  }

  /** The one approval (the CHECK refuses the proposer; the trigger, a second approval). Null if it was approved meanwhile. */
  async approveAdjustment(m: EntityManager, id: string, approvedBy: string, ledgerTxnId: string): Promise<AdjustmentRow | null> {
    const rows = rowsOf<{ id: string }>(
      await m.query(`UPDATE reconciliation_adjustments SET approved_by = $2, approved_at = now(), ledger_txn_id = $3 WHERE id = $1 AND approved_by IS NULL RETURNING id`, [
        id,
        approvedBy,
        ledgerTxnId,
      ]),
    );
    return rows.length ? this.adjustment(m, id) : null;
  }
}
