import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { ExpectedLine } from '@common/money/expected-line';

export interface NewBankCredit {
  bankCode: string;
  bankTransactionId: string;
  escrowAccountId: string;
  amount: string;
  currency: string;
  valueDate: string;
  payerReference: string | null;
  payerBank: string | null;
  payerAccountNumber: string | null;
  payerAccountName: string | null;
}

/** A credit with a part in suspense, as the suspense resolution reads it. */
export interface SuspenseCreditRow {
  id: string;
  bank_code: string;
  bank_transaction_id: string;
  escrow_account_id: string;
  amount: string;
  to_suspense: string;
  currency: string;
  value_date: string;
  payer_reference: string | null;
  payer_bank: string | null;
  payer_account_number: string | null;
  payer_account_name: string | null;
  contract_id: string | null;
  outcome: string;
  received_at: Date;
}

export interface CreditResult {
  contractId: string | null;
  applied: string;
  toSuspense: string;
  outcome: string;
  response: Record<string, unknown>;
}

interface ExpectedRow {
  id: string;
  escrow_account_id: string;
  amount: string;
  currency: string;
  bank_transaction_id: string;
  value_date: string;
  received_at: Date;
}

const EXPECTED = `id, escrow_account_id, amount::text, currency, bank_transaction_id, value_date::text, received_at`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A credit is money in: a CRDT line on the escrow account's statement quoting the bank's transaction id. */
const toExpected = (r: ExpectedRow): ExpectedLine => ({
  source: 'credit',
  id: r.id,
  escrowAccountId: r.escrow_account_id,
  direction: 'CRDT',
  amount: r.amount,
  currency: r.currency,
  references: [r.bank_transaction_id],
  valueDate: r.value_date,
  postedAt: r.received_at,
});

/** The only writer of `bank_credits`. */
@Injectable()
export class BankCreditsRepository {
  /**
   * Claims the bank transaction id (a concurrent repeat waits on the unique key, then finds
   * the first one). Returns the new credit's id, or null when the bank already notified it.
   */
  async claim(m: EntityManager, c: NewBankCredit): Promise<string | null> {
    const rows: { id: string }[] = await m.query(
      `INSERT INTO bank_credits (bank_code, bank_transaction_id, escrow_account_id, amount, currency, value_date, payer_reference,
         payer_bank, payer_account_number, payer_account_name, outcome, response, to_suspense)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', '{}', $4) ON CONFLICT (bank_code, bank_transaction_id) DO NOTHING RETURNING id`,
      [c.bankCode, c.bankTransactionId, c.escrowAccountId, c.amount, c.currency, c.valueDate, c.payerReference, c.payerBank, c.payerAccountNumber, c.payerAccountName],
    );
    return rows[0]?.id ?? null;
  }

  /** The account of the contract's earliest credit that named one (a refund goes back to the original channel). */
  async originalPayerAccount(m: EntityManager, contractId: string): Promise<{ bank: string | null; accountNumber: string; accountName: string | null } | null> {
    const rows: { bank: string | null; account_number: string; account_name: string | null }[] = await m.query(
      `SELECT payer_bank AS bank, payer_account_number AS account_number, payer_account_name AS account_name FROM bank_credits
        WHERE contract_id = $1 AND payer_account_number IS NOT NULL AND applied > 0 ORDER BY received_at, id LIMIT 1`,
      [contractId],
    );
    return rows[0] ? { bank: rows[0].bank, accountNumber: rows[0].account_number, accountName: rows[0].account_name } : null;
  }

  /** Credits with a part held in suspense, of these escrow accounts (oldest first), or one of them (locked). */
  suspenseCredits(m: EntityManager, filter: { escrowAccountIds?: string[]; creditId?: string; lock?: boolean; receivedBefore?: Date; limit?: number }): Promise<SuspenseCreditRow[]> {
    return m.query(
      `SELECT id, bank_code, bank_transaction_id, escrow_account_id, amount::text, to_suspense::text, currency, to_char(value_date, 'YYYY-MM-DD') AS value_date,
              payer_reference, payer_bank, payer_account_number, payer_account_name, contract_id, outcome, received_at
         FROM bank_credits
        WHERE to_suspense > 0 AND ($1::uuid[] IS NULL OR escrow_account_id = ANY($1::uuid[])) AND ($2::uuid IS NULL OR id = $2::uuid)
          AND ($3::timestamptz IS NULL OR received_at < $3::timestamptz)
        ORDER BY received_at, id LIMIT $4 ${filter.lock ? 'FOR UPDATE' : ''}`,
      [filter.escrowAccountIds ?? null, filter.creditId ?? null, filter.receivedBefore ?? null, filter.limit ?? 500],
    );
  }

  /** The answer given the first time a bank transaction was notified. */
  async response<T>(m: EntityManager, bankCode: string, bankTransactionId: string): Promise<T> {
    const rows: { response: T }[] = await m.query(`SELECT response FROM bank_credits WHERE bank_code = $1 AND bank_transaction_id = $2`, [bankCode, bankTransactionId]);
    return rows[0].response;
  }

  /** Credits of an escrow account by value date (inclusive), and those received after `postedAfter`, as the statement lines they expect. */
  async expectedLines(m: EntityManager, escrowAccountId: string, fromDay: string, toDay: string, postedAfter: Date | null): Promise<ExpectedLine[]> {
    const rows: ExpectedRow[] = await m.query(
      `SELECT ${EXPECTED} FROM bank_credits WHERE escrow_account_id = $1 AND value_date BETWEEN $2 AND $3
       UNION
       SELECT ${EXPECTED} FROM bank_credits WHERE escrow_account_id = $1 AND received_at > $4`,
      [escrowAccountId, fromDay, toDay, postedAfter],
    );
    return rows.map(toExpected);
  }

  async expectedLine(m: EntityManager, id: string): Promise<ExpectedLine | null> {
    if (!UUID.test(id)) return null;
    const rows: ExpectedRow[] = await m.query(`SELECT ${EXPECTED} FROM bank_credits WHERE id = $1`, [id]);
    return rows[0] ? toExpected(rows[0]) : null;
  }

  async complete(m: EntityManager, id: string, r: CreditResult): Promise<void> {
    await m.query(`UPDATE bank_credits SET contract_id = $2, applied = $3, to_suspense = $4, outcome = $5, response = $6 WHERE id = $1`, [
      id,
      r.contractId,
      r.applied,
      r.toSuspense,
      r.outcome,
      JSON.stringify(r.response),
    ]);
  }
}
