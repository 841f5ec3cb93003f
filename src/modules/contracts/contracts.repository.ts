import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '@infra/database/sql';
import type { ReleaseCadence } from '@modules/policies/policy-rules';
import { CONTRACT_EVENTS, ContractEvent, ContractState } from './contract-state-machine';
import { CompletionTerms, ContractForConsumption, ContractRow, ReleaseTerms } from './contract.types';

const SELECT = `SELECT c.id, c.reference, c.institution_id, c.course_id, c.escrow_account_id, c.payer_name, c.payer_phone, c.student_name,
  c.lessons, to_char(c.start_date, 'YYYY-MM-DD') AS start_date, to_char(c.end_date, 'YYYY-MM-DD') AS end_date,
  c.total_price::text AS total_price, c.amount_paid::text AS amount_paid, c.currency, c.policy_id, c.policy_version, c.policy_code,
  c.deemed_confirmation_days, c.release_cadence, c.refund_response_working_days, c.refund_days_before_start, c.refund_days_after_start,
  c.model_contract_version, c.state, c.lessons_consumed, c.amount_consumed::text AS amount_consumed, c.payer_token_revoked_at, c.created_at, c.activated_at, c.completed_at
  FROM contracts c`;

/** The terms a contract was signed under, copied from its policy version at signing (never read from the policies table). */
export interface SignedTerms {
  policyId: string;
  policyCode: string;
  policyVersion: number;
  deemedConfirmationDays: number;
  releaseCadence: ReleaseCadence;
  refundResponseWorkingDays: number;
  refundDaysBeforeStart: number;
  refundDaysAfterStart: number;
}

export interface NewContract {
  reference: string;
  institutionId: string;
  courseId: string;
  escrowAccountId: string;
  payerName: string;
  payerPhone: string;
  payerIdHash: string | null;
  studentName: string;
  lessons: number;
  startDate: string;
  endDate: string;
  totalPrice: string;
  currency: string;
  terms: SignedTerms;
  modelContractVersion: string;
  payerTokenHash: Buffer;
  createdBy: string;
}

@Injectable()
export class ContractsRepository {
  async insert(m: EntityManager, c: NewContract): Promise<ContractRow> {
    const [{ id }]: { id: string }[] = await m.query(
      `INSERT INTO contracts (reference, institution_id, course_id, escrow_account_id, payer_name, payer_phone, payer_id_hash, student_name,
         lessons, start_date, end_date, total_price, currency, policy_id, policy_code, policy_version, deemed_confirmation_days, release_cadence,
         model_contract_version, state, payer_token_hash, created_by, refund_response_working_days, refund_days_before_start, refund_days_after_start)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,'awaiting_payment',$20,$21,$22,$23,$24) RETURNING id`,
      [
        c.reference, c.institutionId, c.courseId, c.escrowAccountId, c.payerName, c.payerPhone, c.payerIdHash, c.studentName, c.lessons, c.startDate, c.endDate, c.totalPrice, c.currency,
        c.terms.policyId, c.terms.policyCode, c.terms.policyVersion, c.terms.deemedConfirmationDays, JSON.stringify(c.terms.releaseCadence),
        c.modelContractVersion, c.payerTokenHash, c.createdBy,
        c.terms.refundResponseWorkingDays, c.terms.refundDaysBeforeStart, c.terms.refundDaysAfterStart,
      ],
    );
    return (await this.findById(m, id))!;
  }

  async findById(m: EntityManager, id: string): Promise<ContractRow | null> {
    const rows: ContractRow[] = await m.query(`${SELECT} WHERE c.id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** The contract a bank credit names, locked for the update of what has been paid. */
  async findByReferenceForUpdate(m: EntityManager, escrowAccountId: string, reference: string): Promise<ContractRow | null> {
    const rows: { id: string }[] = await m.query(`SELECT id FROM contracts WHERE escrow_account_id = $1 AND reference = $2 FOR UPDATE`, [escrowAccountId, reference]);
    return rows[0] ? this.findById(m, rows[0].id) : null;
  }

  /** The contract locked for a refund decision (the same row lock every lesson and release of the contract takes). */
  async findForUpdate(m: EntityManager, id: string): Promise<ContractRow | null> {
    const rows: { id: string }[] = await m.query(`SELECT id FROM contracts WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ? this.findById(m, rows[0].id) : null;
  }

  /** Money paid in, kept in the same transaction as the ledger's funding posting (a test checks they always agree). */
  async addPaidIn(m: EntityManager, id: string, amount: string): Promise<void> {
    await m.query(`UPDATE contracts SET amount_paid = amount_paid + $2::numeric, updated_at = now() WHERE id = $1`, [id, amount]);
  }

  /**
   * Shortens an open contract to what its payer keeps paying (instalments stopped): fewer lessons, a
   * lower price, an earlier end. Never below what is consumed or paid; false when it does not apply.
   */
  async shorten(m: EntityManager, id: string, t: { lessons: number; totalPrice: string; endDate: string }): Promise<boolean> {
    const rows: unknown = await m.query(
      `UPDATE contracts SET lessons = $2, total_price = $3::numeric, end_date = GREATEST($4::date, start_date), updated_at = now()
        WHERE id = $1 AND state IN ('awaiting_payment', 'active') AND lessons_consumed <= $2 AND amount_paid <= $3::numeric AND amount_consumed <= $3::numeric
        RETURNING id`,
      [id, t.lessons, t.totalPrice, t.endDate],
    );
    return rowsOf(rows).length === 1;
  }

  /** A guarded state change through the state machine's `from` list; false when the state does not allow it. */
  async applyEvent(m: EntityManager, id: string, event: ContractEvent): Promise<boolean> {
    const { from, to } = CONTRACT_EVENTS[event];
    const res = rowsOf(
      await m.query(
        `UPDATE contracts SET state = $2, updated_at = now(),
                activated_at = CASE WHEN $2 = 'active' THEN now() ELSE activated_at END,
                completed_at = CASE WHEN $2 = 'completed' THEN now() ELSE completed_at END,
                closed_at = CASE WHEN $2 = 'closed' THEN now() ELSE closed_at END
          WHERE id = $1 AND state = ANY($3::text[]) RETURNING id`,
        [id, to, [...from]],
      ),
    );
    return res.length === 1;
  }

  /** Locks the contracts in id order (the lock order of every lesson write), with their terms: one statement per session. */
  lockForConsumption(m: EntityManager, ids: string[]): Promise<ContractForConsumption[]> {
    return m.query(
      `SELECT id, institution_id, course_id, escrow_account_id, state, lessons, lessons_consumed, total_price::text, amount_consumed::text, amount_paid::text,
              currency, to_char(start_date, 'YYYY-MM-DD') AS start_date, deemed_confirmation_days AS deemed_days, release_cadence->>'kind' AS cadence
         FROM contracts WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
  }

  /** Consumes (delta 1) or gives back (delta -1) one lesson of each contract, in one statement. */
  async consume(m: EntityManager, items: { id: string; amount: string; delta: 1 | -1 }[]): Promise<void> {
    if (items.length === 0) return;
    await m.query(
      `UPDATE contracts c SET lessons_consumed = c.lessons_consumed + x.delta, amount_consumed = c.amount_consumed + x.delta * x.amount, updated_at = now()
         FROM unnest($1::uuid[], $2::numeric[], $3::int[]) AS x(id, amount, delta) WHERE c.id = x.id`,
      [items.map((i) => i.id), items.map((i) => i.amount), items.map((i) => i.delta)],
    );
  }

  /** Release terms of contracts (locked in id order when `lock`). */
  releaseTerms(m: EntityManager, ids: string[], lock: boolean): Promise<ReleaseTerms[]> {
    return m.query(
      `SELECT id AS contract_id, institution_id, escrow_account_id, currency, lessons, lessons_consumed, total_price::text, state, release_cadence AS cadence
         FROM contracts WHERE id = ANY($1::uuid[]) ORDER BY id ${lock ? 'FOR UPDATE' : ''}`,
      [ids],
    );
  }

  async idsWithCadence(m: EntityManager, institutionId: string, state: ContractState, cadence: ReleaseCadence['kind']): Promise<string[]> {
    const rows: { id: string }[] = await m.query(
      `SELECT id FROM contracts WHERE institution_id = $1 AND state = $2 AND release_cadence->>'kind' = $3 ORDER BY id`,
      [institutionId, state, cadence],
    );
    return rows.map((r) => r.id);
  }

  async idsInStates(m: EntityManager, institutionId: string, states: ContractState[]): Promise<string[]> {
    const rows: { id: string }[] = await m.query(`SELECT id FROM contracts WHERE institution_id = $1 AND state = ANY($2::text[]) ORDER BY id`, [institutionId, states]);
    return rows.map((r) => r.id);
  }

  /** Active after-completion contracts whose lessons are all consumed: candidates for the completion release. */
  awaitingCompletion(m: EntityManager): Promise<CompletionTerms[]> {
    return m.query(
      `SELECT id, (release_cadence->>'workingDays')::int AS working_days FROM contracts
        WHERE state = 'active' AND release_cadence->>'kind' = 'after_completion' AND lessons_consumed = lessons ORDER BY id`,
    );
  }

  listForInstitution(m: EntityManager, institutionId: string, limit: number, after: string | null): Promise<ContractRow[]> {
    return m.query(`${SELECT} WHERE c.institution_id = $1 AND ($2::uuid IS NULL OR c.id > $2::uuid) ORDER BY c.id LIMIT $3`, [institutionId, after, limit]);
  }

  async revokeToken(m: EntityManager, id: string): Promise<void> {
    await m.query(`UPDATE contracts SET payer_token_revoked_at = now(), updated_at = now() WHERE id = $1 AND payer_token_revoked_at IS NULL`, [id]);
  }

  async findByPayerToken(m: EntityManager, hash: Buffer): Promise<ContractRow | null> {
    const rows: { id: string }[] = await m.query(`SELECT id FROM contracts WHERE payer_token_hash = $1 AND payer_token_revoked_at IS NULL`, [hash]);
    return rows[0] ? this.findById(m, rows[0].id) : null;
  }
}
