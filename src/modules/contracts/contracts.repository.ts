import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface ContractRow {
  id: string;
  reference: string;
  institution_id: string;
  course_id: string;
  escrow_account_id: string;
  payer_name: string;
  payer_phone: string;
  student_name: string;
  lessons: number;
  start_date: string;
  end_date: string;
  total_price: string;
  amount_paid: string;
  currency: string;
  policy_id: string;
  policy_version: number;
  policy_code: string;
  model_contract_version: string;
  state: 'awaiting_payment' | 'active' | 'completed' | 'terminated' | 'refunded';
  payer_token_revoked_at: Date | null;
  created_at: Date;
  activated_at: Date | null;
}

const SELECT = `SELECT c.id, c.reference, c.institution_id, c.course_id, c.escrow_account_id, c.payer_name, c.payer_phone, c.student_name,
  c.lessons, to_char(c.start_date, 'YYYY-MM-DD') AS start_date, to_char(c.end_date, 'YYYY-MM-DD') AS end_date,
  c.total_price::text AS total_price, c.amount_paid::text AS amount_paid, c.currency, c.policy_id, p.version AS policy_version, p.code AS policy_code,
  c.model_contract_version, c.state, c.payer_token_revoked_at, c.created_at, c.activated_at
  FROM contracts c JOIN jurisdiction_policies p ON p.id = c.policy_id`;

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
  policyId: string;
  modelContractVersion: string;
  payerTokenHash: Buffer;
  createdBy: string;
}

@Injectable()
export class ContractsRepository {
  async insert(m: EntityManager, c: NewContract): Promise<ContractRow> {
    const [{ id }]: { id: string }[] = await m.query(
      `INSERT INTO contracts (reference, institution_id, course_id, escrow_account_id, payer_name, payer_phone, payer_id_hash, student_name,
         lessons, start_date, end_date, total_price, currency, policy_id, model_contract_version, state, payer_token_hash, created_by)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,'awaiting_payment',$16,$17) RETURNING id`,
      [c.reference, c.institutionId, c.courseId, c.escrowAccountId, c.payerName, c.payerPhone, c.payerIdHash, c.studentName, c.lessons, c.startDate, c.endDate, c.totalPrice, c.currency, c.policyId, c.modelContractVersion, c.payerTokenHash, c.createdBy],
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

  async addPayment(m: EntityManager, id: string, amount: string, activate: boolean): Promise<void> {
    await m.query(
      `UPDATE contracts SET amount_paid = amount_paid + $2::numeric, updated_at = now(),
              state = CASE WHEN $3 THEN 'active' ELSE state END, activated_at = CASE WHEN $3 THEN now() ELSE activated_at END
        WHERE id = $1`,
      [id, amount, activate],
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
