import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface ClosureRow {
  id: string;
  institution_id: string;
  district_code: string;
  kind: 'immediate';
  reason: string;
  state: 'refunding' | 'refunds_done';
  opened_by: string;
  created_at: Date;
  refunds_done_at: Date | null;
}

export interface ClosureContractRow {
  contract_id: string;
  reference: string;
  outcome: 'refunded' | 'owed' | 'nothing';
  amount: string;
  refund_id: string | null;
  refund_state: string | null;
  note: string | null;
  processed_at: Date;
}

const COLUMNS = `id, institution_id, district_code, kind, reason, state, opened_by, created_at, refunds_done_at`;

/** The only writer of `closures` and `closure_contracts`. */
@Injectable()
export class ClosuresRepository {
  /** Null when the institution already has a closure (the unique key decides). */
  async insert(m: EntityManager, c: { institutionId: string; districtCode: string; reason: string; openedBy: string }): Promise<ClosureRow | null> {
    const rows: ClosureRow[] = await m.query(
      `INSERT INTO closures (institution_id, district_code, kind, reason, state, opened_by) VALUES ($1, $2, 'immediate', $3, 'refunding', $4)
       ON CONFLICT (institution_id) DO NOTHING RETURNING ${COLUMNS}`,
      [c.institutionId, c.districtCode, c.reason, c.openedBy],
    );
    return rows[0] ?? null;
  }

  async find(m: EntityManager, id: string): Promise<ClosureRow | null> {
    const rows: ClosureRow[] = await m.query(`SELECT ${COLUMNS} FROM closures WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async ofInstitution(m: EntityManager, institutionId: string): Promise<ClosureRow | null> {
    const rows: ClosureRow[] = await m.query(`SELECT ${COLUMNS} FROM closures WHERE institution_id = $1`, [institutionId]);
    return rows[0] ?? null;
  }

  /** Records a contract's outcome once; false when it was already recorded (a resumed or duplicate run). */
  async record(m: EntityManager, r: { closureId: string; contractId: string; outcome: ClosureContractRow['outcome']; amount: string; refundId: string | null; note: string | null }): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `INSERT INTO closure_contracts (closure_id, contract_id, outcome, amount, refund_id, note) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (closure_id, contract_id) DO NOTHING RETURNING contract_id`,
      [r.closureId, r.contractId, r.outcome, r.amount, r.refundId, r.note],
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

  /** The report's rows: each processed contract with its reference and its refund's state (read-only joins to contracts and refunds). */
  report(m: EntityManager, closureId: string): Promise<ClosureContractRow[]> {
    return m.query(
      `SELECT cc.contract_id, c.reference, cc.outcome, cc.amount::text, cc.refund_id, r.state AS refund_state, cc.note, cc.processed_at
         FROM closure_contracts cc JOIN contracts c ON c.id = cc.contract_id LEFT JOIN refunds r ON r.id = cc.refund_id
        WHERE cc.closure_id = $1 ORDER BY c.reference`,
      [closureId],
    );
  }
}
