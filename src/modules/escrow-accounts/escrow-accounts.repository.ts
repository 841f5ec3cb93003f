import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Money } from '@common/money/money';
import { rowsOf } from '@infra/database/sql';

export type EscrowMode = 'full_custody' | 'risk_reserve';
export type EscrowState = 'active' | 'frozen' | 'closed';

export interface EscrowAccount {
  id: string;
  institutionId: string;
  bankCode: string;
  accountNumber: string;
  accountName: string;
  currency: string;
  mode: EscrowMode;
  /** In the account's currency. */
  requiredReserve: Money | null;
  agreementReference: string;
  state: EscrowState;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewEscrowAccount = Omit<EscrowAccount, 'id' | 'createdAt' | 'updatedAt'>;

interface EscrowAccountRow {
  id: string;
  institution_id: string;
  bank_code: string;
  account_number: string;
  account_name: string;
  currency: string;
  mode: EscrowMode;
  required_reserve: string | null;
  agreement_reference: string;
  state: EscrowState;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface EscrowEventRow {
  action: string;
  reason: string;
  actor_id: string | null;
  at: Date;
}

const COLUMNS = `id, institution_id, bank_code, account_number, account_name, currency, mode, required_reserve::text AS required_reserve,
                 agreement_reference, state, created_by, created_at, updated_at`;

const toAccount = (r: EscrowAccountRow): EscrowAccount => ({
  id: r.id,
  institutionId: r.institution_id,
  bankCode: r.bank_code,
  accountNumber: r.account_number,
  accountName: r.account_name,
  currency: r.currency,
  mode: r.mode,
  requiredReserve: r.required_reserve === null ? null : Money.fromDb(r.required_reserve, r.currency),
  agreementReference: r.agreement_reference,
  state: r.state,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

@Injectable()
export class EscrowAccountsRepository {
  async insert(m: EntityManager, a: NewEscrowAccount): Promise<EscrowAccount> {
    const rows: EscrowAccountRow[] = await m.query(
      `INSERT INTO escrow_accounts (institution_id, bank_code, account_number, account_name, currency, mode, required_reserve, agreement_reference, state, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
      [a.institutionId, a.bankCode, a.accountNumber, a.accountName, a.currency, a.mode, a.requiredReserve?.toString() ?? null, a.agreementReference, a.state, a.createdBy],
    );
    return toAccount(rows[0]);
  }

  /** With `lock`, under a row lock for a read-modify-write. */
  async findById(m: EntityManager, id: string, lock = false): Promise<EscrowAccount | null> {
    const rows: EscrowAccountRow[] = await m.query(`SELECT ${COLUMNS} FROM escrow_accounts WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ? toAccount(rows[0]) : null;
  }

  /** The institution's current (active or frozen) account, if any (a unique index allows one). */
  async findCurrent(m: EntityManager, institutionId: string): Promise<EscrowAccount | null> {
    const rows: EscrowAccountRow[] = await m.query(`SELECT ${COLUMNS} FROM escrow_accounts WHERE institution_id = $1 AND state <> 'closed'`, [institutionId]);
    return rows[0] ? toAccount(rows[0]) : null;
  }

  async findByBankAccount(m: EntityManager, bankCode: string, accountNumber: string): Promise<EscrowAccount | null> {
    const rows: EscrowAccountRow[] = await m.query(`SELECT ${COLUMNS} FROM escrow_accounts WHERE bank_code = $1 AND account_number = $2`, [bankCode, accountNumber]);
    return rows[0] ? toAccount(rows[0]) : null;
  }

  async listForInstitution(m: EntityManager, institutionId: string): Promise<EscrowAccount[]> {
    const rows: EscrowAccountRow[] = await m.query(`SELECT ${COLUMNS} FROM escrow_accounts WHERE institution_id = $1 ORDER BY created_at`, [institutionId]);
    return rows.map(toAccount);
  }

  async setState(m: EntityManager, id: string, state: EscrowState): Promise<EscrowAccount> {
    const result: unknown = await m.query(`UPDATE escrow_accounts SET state = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`, [id, state]);
    return toAccount(rowsOf<EscrowAccountRow>(result)[0]);
  }

  async recordEvent(m: EntityManager, accountId: string, action: 'filed' | 'freeze' | 'unfreeze' | 'close', reason: string, actor: string | null): Promise<void> {
    await m.query(`INSERT INTO escrow_account_events (escrow_account_id, action, reason, actor_id) VALUES ($1, $2, $3, $4)`, [accountId, action, reason, actor]);
  }

  events(m: EntityManager, accountId: string): Promise<EscrowEventRow[]> {
    return m.query(`SELECT action, reason, actor_id, at FROM escrow_account_events WHERE escrow_account_id = $1 ORDER BY id`, [accountId]);
  }
}
