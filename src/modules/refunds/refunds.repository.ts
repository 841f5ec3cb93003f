import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '@infra/database/sql';
import { REFUND_EVENTS, RefundEvent, RefundState } from './refund-state-machine';

export interface RefundRow {
  id: string;
  contract_id: string;
  institution_id: string;
  escrow_account_id: string;
  district_code: string;
  currency: string;
  state: RefundState;
  reason: string;
  requested_by: string;
  respond_by: string;
  phase: 'before_start' | 'after_start';
  lessons: number;
  lessons_consumed: number;
  consumed_amount: string;
  paid_in: string;
  computed_amount: string;
  amount: string | null;
  contest_reason: string | null;
  decision: 'full' | 'partial' | 'refuse' | null;
  decision_reason: string | null;
  decided_by: string | null;
  approval: 'institution' | 'deemed' | 'regulator' | 'admin' | 'closure' | null;
  approved_at: Date | null;
  pay_by: string | null;
  payee_bank: string | null;
  payee_account_number: string;
  payee_account_name: string | null;
  movement_id: string | null;
  overdue_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewRefund {
  contractId: string;
  institutionId: string;
  escrowAccountId: string;
  districtCode: string;
  currency: string;
  reason: string;
  requestedBy: string;
  respondBy: string;
  computation: Computed;
  payee: { bank: string | null; accountNumber: string; accountName: string | null };
}

/** The computation's figures as stored (decimal strings). */
export interface Computed {
  phase: 'before_start' | 'after_start';
  lessons: number;
  lessonsConsumed: number;
  consumedAmount: string;
  paidIn: string;
  computedAmount: string;
}

const COLUMNS = `id, contract_id, institution_id, escrow_account_id, district_code, currency, state, reason, requested_by,
  to_char(respond_by, 'YYYY-MM-DD') AS respond_by, phase, lessons, lessons_consumed, consumed_amount::text, paid_in::text, computed_amount::text,
  amount::text, contest_reason, decision, decision_reason, decided_by, approval, approved_at, to_char(pay_by, 'YYYY-MM-DD') AS pay_by,
  payee_bank, payee_account_number, payee_account_name, movement_id, overdue_at, created_at, updated_at`;

/** The only writer of `refunds`. Every state change is guarded by the state machine's `from` list. */
@Injectable()
export class RefundsRepository {
  /** Inserts a request; null when the contract already has an open one (the unique index decides, races included). */
  async insert(m: EntityManager, r: NewRefund): Promise<RefundRow | null> {
    const rows: RefundRow[] = await m.query(
      `INSERT INTO refunds (contract_id, institution_id, escrow_account_id, district_code, currency, state, reason, requested_by, respond_by,
         phase, lessons, lessons_consumed, consumed_amount, paid_in, computed_amount, payee_bank, payee_account_number, payee_account_name)
       VALUES ($1, $2, $3, $4, $5, 'requested', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
       ON CONFLICT (contract_id) WHERE state IN ('requested', 'contested') DO NOTHING RETURNING ${COLUMNS}`,
      [r.contractId, r.institutionId, r.escrowAccountId, r.districtCode, r.currency, r.reason, r.requestedBy, r.respondBy, r.computation.phase,
        r.computation.lessons, r.computation.lessonsConsumed, r.computation.consumedAmount, r.computation.paidIn, r.computation.computedAmount,
        r.payee.bank, r.payee.accountNumber, r.payee.accountName],
    );
    return rows[0] ?? null;
  }

  async find(m: EntityManager, id: string, lock = false): Promise<RefundRow | null> {
    const rows: RefundRow[] = await m.query(`SELECT ${COLUMNS} FROM refunds WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  }

  /** The open request of a contract, if any (locked when asked). */
  async openOf(m: EntityManager, contractId: string, lock = false): Promise<RefundRow | null> {
    const rows: RefundRow[] = await m.query(`SELECT ${COLUMNS} FROM refunds WHERE contract_id = $1 AND state IN ('requested', 'contested') ${lock ? 'FOR UPDATE' : ''}`, [contractId]);
    return rows[0] ?? null;
  }

  ofContract(m: EntityManager, contractId: string): Promise<RefundRow[]> {
    return m.query(`SELECT ${COLUMNS} FROM refunds WHERE contract_id = $1 ORDER BY created_at`, [contractId]);
  }

  ofInstitution(m: EntityManager, institutionId: string, state: string | null, limit: number): Promise<RefundRow[]> {
    return m.query(
      `SELECT ${COLUMNS} FROM refunds WHERE institution_id = $1 AND ($2::text IS NULL OR state = $2) ORDER BY created_at DESC LIMIT $3`,
      [institutionId, state, limit],
    );
  }

  /** A guarded state change with its fields; false when the state does not allow the event (someone else got there first). */
  async apply(m: EntityManager, id: string, event: RefundEvent, patch: Partial<Record<PatchColumn, string | number | null>> = {}): Promise<boolean> {
    const { from, to } = REFUND_EVENTS[event];
    const cols = Object.keys(patch) as PatchColumn[];
    const sets = cols.map((c, i) => `${c} = $${i + 4}`);
    const res = rowsOf(
      await m.query(
        `UPDATE refunds SET state = $2, updated_at = now() ${to === 'approved' ? ', approved_at = COALESCE(approved_at, now())' : ''} ${sets.length ? `, ${sets.join(', ')}` : ''}
          WHERE id = $1 AND state = ANY($3::text[]) RETURNING id`,
        [id, to, [...from], ...cols.map((c) => patch[c])],
      ),
    );
    return res.length === 1;
  }

  /** Requests whose response window has passed (respond_by before `today`), oldest first (read only: each is claimed on its own). */
  async dueForDeemedApproval(m: EntityManager, today: string, limit: number, after: string | null): Promise<{ id: string }[]> {
    return m.query(`SELECT id FROM refunds WHERE state = 'requested' AND respond_by < $1::date AND ($3::uuid IS NULL OR id > $3::uuid) ORDER BY id LIMIT $2`, [today, limit, after]);
  }

  /** The request, locked, if it is still requested and nobody else holds it (SKIP LOCKED: two runs never wait on each other). */
  async claimRequested(m: EntityManager, id: string): Promise<RefundRow | null> {
    const rows: RefundRow[] = await m.query(`SELECT ${COLUMNS} FROM refunds WHERE id = $1 AND state = 'requested' FOR UPDATE SKIP LOCKED`, [id]);
    return rows[0] ?? null;
  }

  /** Approved refunds not paid by their day, each claimed once (the overdue mark is set in the same statement). */
  async claimOverdue(m: EntityManager, today: string, limit: number): Promise<RefundRow[]> {
    const res: unknown = await m.query(
      `UPDATE refunds SET overdue_at = now(), updated_at = now()
        WHERE id IN (SELECT id FROM refunds WHERE state IN ('approved', 'failed') AND overdue_at IS NULL AND pay_by < $1::date ORDER BY pay_by LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING ${COLUMNS}`,
      [today, limit],
    );
    return rowsOf<RefundRow>(res);
  }

  /** The approved refund of a contract (approved, paid or failed), locked. */
  async approvedOf(m: EntityManager, contractId: string): Promise<RefundRow | null> {
    const rows: RefundRow[] = await m.query(`SELECT ${COLUMNS} FROM refunds WHERE contract_id = $1 AND state IN ('approved', 'paid', 'failed') FOR UPDATE`, [contractId]);
    return rows[0] ?? null;
  }

  async byMovement(m: EntityManager, movementId: string): Promise<RefundRow | null> {
    const rows: RefundRow[] = await m.query(`SELECT ${COLUMNS} FROM refunds WHERE movement_id = $1 FOR UPDATE`, [movementId]);
    return rows[0] ?? null;
  }
}

type PatchColumn =
  | 'amount'
  | 'contest_reason'
  | 'decision'
  | 'decision_reason'
  | 'decided_by'
  | 'approval'
  | 'pay_by'
  | 'movement_id'
  | 'phase'
  | 'lessons_consumed'
  | 'consumed_amount'
  | 'paid_in'
  | 'computed_amount';
