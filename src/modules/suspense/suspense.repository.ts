import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface ResolutionRow {
  id: string;
  credit_id: string;
  escrow_account_id: string;
  institution_id: string;
  action: 'apply' | 'return';
  amount: string;
  currency: string;
  contract_id: string | null;
  movement_id: string | null;
  ledger_txn_id: string | null;
  reason: string;
  resolved_by: string;
  created_at: Date;
}

export type NewResolution = Omit<ResolutionRow, 'id' | 'created_at'>;

const COLUMNS = `id, credit_id, escrow_account_id, institution_id, action, amount::text, currency, contract_id, movement_id, ledger_txn_id::text, reason, resolved_by, created_at`;

/** The only writer of `suspense_resolutions` (append-only: one resolution per credit). */
@Injectable()
export class SuspenseRepository {
  async insert(m: EntityManager, r: NewResolution): Promise<ResolutionRow> {
    const [row]: ResolutionRow[] = await m.query(
      `INSERT INTO suspense_resolutions (credit_id, escrow_account_id, institution_id, action, amount, currency, contract_id, movement_id, ledger_txn_id, reason, resolved_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${COLUMNS}`,
      [r.credit_id, r.escrow_account_id, r.institution_id, r.action, r.amount, r.currency, r.contract_id, r.movement_id, r.ledger_txn_id, r.reason, r.resolved_by],
    );
    return row;
  }

  async byCredit(m: EntityManager, creditId: string): Promise<ResolutionRow | null> {
    const rows: ResolutionRow[] = await m.query(`SELECT ${COLUMNS} FROM suspense_resolutions WHERE credit_id = $1`, [creditId]);
    return rows[0] ?? null;
  }

  ofCredits(m: EntityManager, creditIds: string[]): Promise<ResolutionRow[]> {
    return creditIds.length ? m.query(`SELECT ${COLUMNS} FROM suspense_resolutions WHERE credit_id = ANY($1::uuid[])`, [creditIds]) : Promise.resolve([]);
  }
}
