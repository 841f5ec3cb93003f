import { Money } from '@common/money/money';
import { AccountKind, TransactionType } from './chart-of-accounts';

export type { AccountKind, TransactionType } from './chart-of-accounts';

/**
 * Whose money a posting moves. The ledger picks each account from the chart: a contract kind
 * uses `contractId`, an institution kind `institutionId`, an escrow kind `escrowAccountId`.
 */
export interface LedgerOwner {
  escrowAccountId: string;
  institutionId: string;
  contractId?: string | null;
  currency: string;
}

/** A transfer of a positive amount: debit `from`, credit `to`. */
export interface Leg {
  from: AccountKind;
  to: AccountKind;
  amount: Money;
}

export interface PostLegsCommand {
  type: TransactionType;
  owner: LedgerOwner;
  legs: Leg[];
  /** Unique: a retried posting with the same reference happens once (and answers `replayed`). */
  externalRef: string;
  memo?: string;
  actor?: string | null;
  metadata?: Record<string, unknown>;
}

export interface PostedTransaction {
  id: string;
  replayed: boolean;
}

/** A contract's money: paid in = released + refunded + held (+ other, e.g. reversals of other kinds). */
export interface ContractFunds {
  paidIn: Money;
  released: Money;
  refunded: Money;
  /** Movements of any other purpose (deductions, transfers); zero in a plain contract. */
  other: Money;
  held: Money;
}

/** A ledger account as the HTTP reads show it. */
export interface LedgerAccountRow {
  id: string;
  code: string;
  type: AccountKind;
  currency: string;
  normal_side: 'debit' | 'credit';
  allow_negative: boolean;
  escrow_account_id: string | null;
  institution_id: string | null;
  contract_id: string | null;
}

export interface LedgerPostingRow {
  id: string;
  transaction_id: string;
  type: string;
  amount: string;
  currency: string;
  created_at: Date;
  memo: string | null;
}
