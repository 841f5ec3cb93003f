import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Money } from '@common/money/money';
import { accountCode, AccountKind, accountSpecFor } from '@modules/ledger/chart-of-accounts';
import { LedgerService } from '@modules/ledger/ledger.service';
import { LedgerOwner } from '@modules/ledger/ledger.types';

/** One institution's escrow (its accounts open on first use, as in production). */
export interface EscrowBook {
  escrowAccountId: string;
  institutionId: string;
  currency: string;
}

export interface TestContract {
  contractId: string;
  owner: LedgerOwner;
}

export function openEscrowBook(institutionId = randomUUID(), escrowAccountId = randomUUID(), currency = 'CNY'): EscrowBook {
  return { escrowAccountId, institutionId, currency };
}

export function openContract(book: EscrowBook, contractId = randomUUID()): TestContract {
  return { contractId, owner: { ...book, contractId } };
}

// Signed: some ledger tests build negative (adjustment) amounts.
export const cny = (s: string) => Money.parse(s, 'CNY', 'amount', { signed: true });

/** Each posting in its own database transaction, as production callers do. */
export function fund(ledger: LedgerService, ds: DataSource, c: TestContract, amount: string, ref = randomUUID()) {
  return ds.transaction((m) => ledger.fundContract(m, c.owner, Money.parse(amount, c.owner.currency), ref));
}

export function release(ledger: LedgerService, ds: DataSource, c: TestContract, amount: string, ref = randomUUID()) {
  return ds.transaction((m) => ledger.release(m, c.owner, Money.parse(amount, c.owner.currency), ref));
}

export function refund(ledger: LedgerService, ds: DataSource, c: TestContract, amount: string, ref = randomUUID()) {
  return ds.transaction((m) => ledger.reserveRefund(m, c.owner, Money.parse(amount, c.owner.currency), ref));
}

/** The id of the owner's account of `kind` (straight from SQL; null if it never opened). */
export async function accountIdOf(ds: DataSource, kind: AccountKind, owner: LedgerOwner): Promise<string | null> {
  const rows: { id: string }[] = await ds.query(`SELECT id::text FROM ledger_accounts WHERE code = $1`, [accountCode(accountSpecFor(kind, owner))]);
  return rows[0]?.id ?? null;
}

/** Ledger-wide invariants, straight from SQL. Returns the list of violations (empty when sound). */
export async function ledgerViolations(ds: DataSource): Promise<string[]> {
  const problems: string[] = [];
  const unbalanced = await ds.query(`SELECT transaction_id FROM ledger_postings GROUP BY transaction_id, currency HAVING sum(amount) <> 0`);
  if (unbalanced.length) problems.push(`unbalanced transactions: ${JSON.stringify(unbalanced)}`);
  const short = await ds.query(`SELECT t.id FROM ledger_transactions t LEFT JOIN ledger_postings p ON p.transaction_id = t.id GROUP BY t.id HAVING count(p.id) < 2`);
  if (short.length) problems.push(`transactions with fewer than two postings: ${JSON.stringify(short)}`);
  const drift = await ds.query(`
    SELECT a.id, b.total AS stripes, coalesce(p.total, 0) * CASE WHEN a.normal_side = 'debit' THEN 1 ELSE -1 END AS postings
      FROM ledger_accounts a
      JOIN (SELECT account_id, sum(balance) AS total FROM ledger_balances GROUP BY account_id) b ON b.account_id = a.id
      LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ledger_postings GROUP BY account_id) p ON p.account_id = a.id
     WHERE b.total <> coalesce(p.total, 0) * CASE WHEN a.normal_side = 'debit' THEN 1 ELSE -1 END`);
  if (drift.length) problems.push(`balances differ from their postings: ${JSON.stringify(drift)}`);
  const negative = await ds.query(`
    SELECT a.id, sum(b.balance) AS total FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id
     WHERE NOT a.allow_negative GROUP BY a.id HAVING sum(b.balance) < 0`);
  if (negative.length) problems.push(`negative balances: ${JSON.stringify(negative)}`);
  return problems;
}
