import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '@infra/database/sql';

export type ClosureState = 'announced' | 'refunding' | 'refunds_done' | 'completed';

export interface ClosureRow {
  id: string;
  institution_id: string;
  district_code: string;
  kind: 'immediate' | 'planned';
  reason: string;
  state: ClosureState;
  opened_by: string;
  created_at: Date;
  closure_date: string;
  started_at: Date | null;
  refunds_done_at: Date | null;
  completed_at: Date | null;
  /** The refund plan's figures (null until the first run of the bulk refunds): cash available to payers, and what they are owed. */
  pool: string | null;
  claims: string | null;
}

export interface ClosureContractRow {
  contract_id: string;
  reference: string;
  outcome: 'refunded' | 'owed' | 'nothing' | 'transferred';
  amount: string;
  owed: string;
  refund_id: string | null;
  refund_state: string | null;
  transfer_id: string | null;
  receiving_institution_id: string | null;
  new_contract_id: string | null;
  note: string | null;
  processed_at: Date;
}

export interface PlanRow {
  contract_id: string;
  claim: string;
  payable: string;
  held: string;
  rank: number;
}

export interface AccountDayRow {
  business_date: string;
  status: string;
  open_exceptions: number;
}

const COLUMNS = `id, institution_id, district_code, kind, reason, state, opened_by, created_at, to_char(closure_date, 'YYYY-MM-DD') AS closure_date,
  started_at, refunds_done_at, completed_at, pool::text, claims::text`;

/** The only writer of `closures`, `closure_contracts` and `closure_plans`. */
@Injectable()
export class ClosuresRepository {
  /** Null when the institution already has a closure (the unique key decides). An immediate closure starts at once; a planned one is announced. */
  async insert(m: EntityManager, c: { institutionId: string; districtCode: string; kind: 'immediate' | 'planned'; reason: string; openedBy: string; closureDate: string }): Promise<ClosureRow | null> {
    const rows: ClosureRow[] = await m.query(
      `INSERT INTO closures (institution_id, district_code, kind, reason, state, opened_by, closure_date, started_at)
       VALUES ($1, $2, $3, $4, CASE WHEN $3 = 'immediate' THEN 'refunding' ELSE 'announced' END, $5, $6, CASE WHEN $3 = 'immediate' THEN now() END)
       ON CONFLICT (institution_id) DO NOTHING RETURNING ${COLUMNS}`,
      [c.institutionId, c.districtCode, c.kind, c.reason, c.openedBy, c.closureDate],
    );
    return rows[0] ?? null;
  }

  async find(m: EntityManager, id: string, lock = false): Promise<ClosureRow | null> {
    const rows: ClosureRow[] = await m.query(`SELECT ${COLUMNS} FROM closures WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  }

  async ofInstitution(m: EntityManager, institutionId: string): Promise<ClosureRow | null> {
    const rows: ClosureRow[] = await m.query(`SELECT ${COLUMNS} FROM closures WHERE institution_id = $1`, [institutionId]);
    return rows[0] ?? null;
  }

  /** Announced closures whose date has come, each claimed by one run (SKIP LOCKED). */
  async claimDue(m: EntityManager, today: string, limit: number): Promise<ClosureRow[]> {
    return m.query(`SELECT ${COLUMNS} FROM closures WHERE state = 'announced' AND closure_date <= $1 ORDER BY closure_date, id LIMIT $2 FOR UPDATE SKIP LOCKED`, [today, limit]);
  }

  /** announced → refunding, once (false when another run started it). */
  async start(m: EntityManager, id: string): Promise<boolean> {
    return rowsOf(await m.query(`UPDATE closures SET state = 'refunding', started_at = now() WHERE id = $1 AND state = 'announced' RETURNING id`, [id])).length === 1;
  }

  /** Records a contract's outcome once; false when it was already recorded (a resumed or duplicate run). */
  async record(
    m: EntityManager,
    r: { closureId: string; contractId: string; outcome: ClosureContractRow['outcome']; amount: string; owed: string; refundId: string | null; transferId?: string | null; note: string | null },
  ): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `INSERT INTO closure_contracts (closure_id, contract_id, outcome, amount, owed, refund_id, transfer_id, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (closure_id, contract_id) DO NOTHING RETURNING contract_id`,
      [r.closureId, r.contractId, r.outcome, r.amount, r.owed, r.refundId, r.transferId ?? null, r.note],
    );
    return rows.length === 1;
  }

  async processed(m: EntityManager, closureId: string): Promise<Set<string>> {
    const rows: { contract_id: string }[] = await m.query(`SELECT contract_id FROM closure_contracts WHERE closure_id = $1`, [closureId]);
    return new Set(rows.map((r) => r.contract_id));
  }

  async markRefundsDone(m: EntityManager, id: string): Promise<void> {
    await m.query(`UPDATE closures SET state = 'refunds_done', refunds_done_at = now() WHERE id = $1 AND state = 'refunding'`, [id]);
  }

  async markCompleted(m: EntityManager, id: string): Promise<boolean> {
    return rowsOf(await m.query(`UPDATE closures SET state = 'completed', completed_at = now() WHERE id = $1 AND state = 'refunds_done' RETURNING id`, [id])).length === 1;
  }

  /** The refund plan, written once with its figures (the caller holds the closure's row lock). */
  async insertPlan(m: EntityManager, closureId: string, pool: string, claims: string, rows: PlanRow[]): Promise<void> {
    if (rows.length) {
      await m.query(
        `INSERT INTO closure_plans (closure_id, contract_id, claim, payable, held, rank)
         SELECT $1, x.contract_id, x.claim, x.payable, x.held, x.rank
           FROM jsonb_to_recordset($2::jsonb) AS x(contract_id uuid, claim numeric, payable numeric, held numeric, rank int)`,
        [closureId, JSON.stringify(rows)],
      );
    }
    await m.query(`UPDATE closures SET pool = $2, claims = $3 WHERE id = $1 AND pool IS NULL`, [closureId, pool, claims]);
  }

  plan(m: EntityManager, closureId: string): Promise<PlanRow[]> {
    return m.query(`SELECT contract_id, claim::text, payable::text, held::text, rank FROM closure_plans WHERE closure_id = $1 ORDER BY rank`, [closureId]);
  }

  /** Whether the institution has a closure not completed whose payers are (or may still be) owed. */
  async payersFirst(m: EntityManager, institutionId: string): Promise<{ closureId: string; owed: string } | null> {
    const rows: { id: string; owed: string }[] = await m.query(
      `SELECT c.id, COALESCE((SELECT sum(owed) FROM closure_contracts cc WHERE cc.closure_id = c.id), 0)::text AS owed
         FROM closures c WHERE c.institution_id = $1 AND c.state <> 'completed'
          AND (c.state IN ('announced', 'refunding') OR EXISTS (SELECT 1 FROM closure_contracts cc WHERE cc.closure_id = c.id AND cc.owed > 0))`,
      [institutionId],
    );
    return rows[0] ? { closureId: rows[0].id, owed: rows[0].owed } : null;
  }

  /** The report's rows: each processed contract with its reference, its refund's state and its transfer (read-only joins). */
  report(m: EntityManager, closureId: string): Promise<ClosureContractRow[]> {
    return m.query(
      `SELECT cc.contract_id, c.reference, cc.outcome, cc.amount::text, cc.owed::text, cc.refund_id, r.state AS refund_state, cc.transfer_id,
              t.receiving_institution_id, t.new_contract_id, cc.note, cc.processed_at
         FROM closure_contracts cc JOIN contracts c ON c.id = cc.contract_id LEFT JOIN refunds r ON r.id = cc.refund_id
         LEFT JOIN closure_transfers t ON t.id = cc.transfer_id
        WHERE cc.closure_id = $1 ORDER BY c.reference`,
      [closureId],
    );
  }

  /**
   * Reconciliation's view of the escrow account (a declared read model): its latest account-day
   * and the exceptions not resolved (open or accepted).
   */
  async reconciliation(m: EntityManager, escrowAccountId: string): Promise<{ lastDay: AccountDayRow | null; unresolved: number }> {
    const days: AccountDayRow[] = await m.query(
      `SELECT to_char(business_date, 'YYYY-MM-DD') AS business_date, status, open_exceptions FROM reconciliation_account_days
        WHERE escrow_account_id = $1 ORDER BY business_date DESC LIMIT 1`,
      [escrowAccountId],
    );
    const ex: { n: number }[] = await m.query(`SELECT count(*)::int AS n FROM reconciliation_exceptions WHERE escrow_account_id = $1 AND state <> 'resolved'`, [escrowAccountId]);
    return { lastDay: days[0] ?? null, unresolved: ex[0].n };
  }
}
