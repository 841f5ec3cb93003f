import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '@infra/database/sql';

export interface TransferRow {
  id: string;
  closure_id: string;
  contract_id: string;
  receiving_institution_id: string;
  state: 'proposed' | 'instructed' | 'completed' | 'failed' | 'withdrawn';
  reason: string;
  proposed_by: string;
  accepted_by: string | null;
  accepted_at: Date | null;
  course_id: string | null;
  consented_at: Date | null;
  amount: string | null;
  new_contract_id: string | null;
  movement_id: string | null;
  withdrawn_at: Date | null;
  withdrawn_by: string | null;
  withdrawal_reason: string | null;
  created_at: Date;
}

const COLUMNS = `id, closure_id, contract_id, receiving_institution_id, state, reason, proposed_by, accepted_by, accepted_at, course_id, consented_at,
  amount::text, new_contract_id, movement_id, withdrawn_at, withdrawn_by, withdrawal_reason, created_at`;

/** The only writer of `closure_transfers`. */
@Injectable()
export class ClosureTransfersRepository {
  /** Null when the contract already has a transfer (the unique key decides). */
  async insert(m: EntityManager, t: { closureId: string; contractId: string; receivingInstitutionId: string; reason: string; proposedBy: string }): Promise<TransferRow | null> {
    const rows: TransferRow[] = await m.query(
      `INSERT INTO closure_transfers (closure_id, contract_id, receiving_institution_id, state, reason, proposed_by) VALUES ($1, $2, $3, 'proposed', $4, $5)
       ON CONFLICT (contract_id) DO NOTHING RETURNING ${COLUMNS}`,
      [t.closureId, t.contractId, t.receivingInstitutionId, t.reason, t.proposedBy],
    );
    return rows[0] ?? null;
  }

  async find(m: EntityManager, id: string, lock = false): Promise<TransferRow | null> {
    const rows: TransferRow[] = await m.query(`SELECT ${COLUMNS} FROM closure_transfers WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  }

  async ofContract(m: EntityManager, contractId: string): Promise<TransferRow | null> {
    const rows: TransferRow[] = await m.query(`SELECT ${COLUMNS} FROM closure_transfers WHERE contract_id = $1`, [contractId]);
    return rows[0] ?? null;
  }

  async byMovement(m: EntityManager, movementId: string): Promise<TransferRow | null> {
    const rows: TransferRow[] = await m.query(`SELECT ${COLUMNS} FROM closure_transfers WHERE movement_id = $1 FOR UPDATE`, [movementId]);
    return rows[0] ?? null;
  }

  /** Contracts of the closure whose transfer is proposed (the bulk refunds leave them for it). */
  async openContractIds(m: EntityManager, closureId: string): Promise<Set<string>> {
    const rows: { contract_id: string }[] = await m.query(`SELECT contract_id FROM closure_transfers WHERE closure_id = $1 AND state = 'proposed'`, [closureId]);
    return new Set(rows.map((r) => r.contract_id));
  }

  ofClosure(m: EntityManager, closureId: string): Promise<TransferRow[]> {
    return m.query(`SELECT ${COLUMNS} FROM closure_transfers WHERE closure_id = $1 ORDER BY created_at`, [closureId]);
  }

  async accept(m: EntityManager, id: string, by: string, courseId: string): Promise<void> {
    await m.query(`UPDATE closure_transfers SET accepted_by = $2, accepted_at = now(), course_id = $3 WHERE id = $1 AND accepted_at IS NULL`, [id, by, courseId]);
  }

  async consent(m: EntityManager, id: string): Promise<void> {
    await m.query(`UPDATE closure_transfers SET consented_at = now() WHERE id = $1 AND consented_at IS NULL`, [id]);
  }

  async instructed(m: EntityManager, id: string, r: { amount: string; newContractId: string; movementId: string }): Promise<void> {
    await m.query(`UPDATE closure_transfers SET state = 'instructed', amount = $2, new_contract_id = $3, movement_id = $4 WHERE id = $1 AND state = 'proposed'`, [id, r.amount, r.newContractId, r.movementId]);
  }

  /** Withdrawn before any money moved (only a proposed transfer; the caller holds its row lock). */
  async withdraw(m: EntityManager, id: string, by: string, reason: string): Promise<boolean> {
    const result: unknown = await m.query(
      `UPDATE closure_transfers SET state = 'withdrawn', withdrawn_at = now(), withdrawn_by = $2, withdrawal_reason = $3 WHERE id = $1 AND state = 'proposed' RETURNING id`,
      [id, by, reason],
    );
    return rowsOf(result).length === 1;
  }

  /** The bank's result (or a re-instruction after a failure, which follows the new movement). */
  async outcome(m: EntityManager, id: string, state: 'instructed' | 'completed' | 'failed', movementId: string): Promise<void> {
    await m.query(`UPDATE closure_transfers SET state = $2, movement_id = $3 WHERE id = $1`, [id, state, movementId]);
  }
}
