import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Money } from '../../src/common/money/money';
import { LedgerService, transfer } from '../../src/modules/ledger/ledger.service';

export interface EscrowBook {
  escrowAccountId: string;
  institutionId: string;
  bankCash: string;
  unsettled: string;
  settled: string;
  refundPayable: string;
}

/** The accounts of one institution's escrow, as the features will open them. */
export async function openEscrowBook(ledger: LedgerService, ds: DataSource, institutionId = randomUUID()): Promise<EscrowBook> {
  const escrowAccountId = randomUUID();
  const rows = await ledger.openAccounts(ds.manager, [
    { type: 'bank_cash', escrowAccountId },
    { type: 'refund_payable', escrowAccountId },
    { type: 'institution_unsettled', institutionId },
    { type: 'institution_settled', institutionId },
  ]);
  const id = (type: string) => rows.find((r) => r.type === type)!.id;
  return { escrowAccountId, institutionId, bankCash: id('bank_cash'), unsettled: id('institution_unsettled'), settled: id('institution_settled'), refundPayable: id('refund_payable') };
}

export async function openContract(ledger: LedgerService, ds: DataSource, book: EscrowBook, contractId = randomUUID()): Promise<{ contractId: string; held: string }> {
  const a = await ledger.openAccount(ds.manager, { type: 'contract_held', contractId, institutionId: book.institutionId, escrowAccountId: book.escrowAccountId });
  return { contractId, held: a.id };
}

export const cny = (s: string) => Money.parse(s);

export function fund(ledger: LedgerService, book: EscrowBook, held: string, amount: string, ref?: string) {
  return ledger.post({ type: 'funding', externalRef: ref, postings: transfer(book.bankCash, held, cny(amount)) });
}

export function release(ledger: LedgerService, book: EscrowBook, held: string, amount: string, ref?: string) {
  return ledger.post({ type: 'release', externalRef: ref, postings: transfer(held, book.unsettled, cny(amount)) });
}

export function refund(ledger: LedgerService, book: EscrowBook, held: string, amount: string, ref?: string) {
  return ledger.post({ type: 'refund', externalRef: ref, postings: transfer(held, book.refundPayable, cny(amount)) });
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
