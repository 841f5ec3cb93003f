/**
 * A line the platform expects on an escrow account's bank statement (issue 13, reconciliation):
 * every money record that moves money through the account says which line it expects, so
 * reconciliation matches bank lines against these and never branches on what the record is.
 * Here, below every module, so the owners of the records (bank credits, money movements) can
 * describe their records without importing reconciliation.
 */
export type ExpectedLineSource = 'credit' | 'movement' | 'adjustment';

export interface ExpectedLine {
  source: ExpectedLineSource;
  /** bank_credits.id / settlement_instructions.id / reconciliation_adjustments.id */
  id: string;
  escrowAccountId: string;
  /** As it reads on the escrow account's statement. */
  direction: 'CRDT' | 'DBIT';
  /** Unsigned, numeric(18,2) text. */
  amount: string;
  currency: string;
  /** References the bank may quote: credit [bank_transaction_id]; movement [end_to_end_ref, bank_transaction_id?]. */
  references: string[];
  /** YYYY-MM-DD, China day (credit: value_date; movement: the day it was executed). */
  valueDate: string;
  /** When the ledger posted it (credit: received_at; movement: executed_at). */
  postedAt: Date;
}
