import type { AccountKind, TransactionType } from '@modules/ledger/ledger.types';

/** A transfer between two account kinds of the movement's owner, by the movement's amount: debit `from`, credit `to`. */
export interface LegTemplate {
  from: AccountKind;
  to: AccountKind;
}

/** Where the money goes (an outgoing movement) or comes from (an incoming one). */
/** `receiving_escrow_account`: another institution's escrow account, given by the caller (a closure's transfer). */
export type PayeeRule = 'institution_basic_account' | 'payer_original_account' | 'escrow_account' | 'receiving_escrow_account';

export type MoneyMovementKindName = 'release' | 'refund' | 'return' | 'transfer' | 'deduction' | 'debit' | 'adjustment';

/**
 * One kind of bank money movement, as data. Delivery, bank callbacks, the bank simulator and
 * the audit read these fields and never branch on `kind`: a new kind is one file in `kinds/`
 * plus its line in the registry (`kinds/index.ts`).
 */
export interface MoneyMovementKind {
  kind: MoneyMovementKindName;
  /** The Standard Webhooks event type the bank receives (the payload's `type`). */
  webhookEvent: string;
  payee: PayeeRule;
  /** `out` of escrow (a debit on the escrow account's statement) or `in` to it. */
  direction: 'out' | 'in';
  /**
   * The line the executed movement expects on the escrow account's statement (reconciliation matches
   * it by the end-to-end reference, amount and this direction): DBIT for money out, CRDT for money in.
   */
  statementDirection: 'DBIT' | 'CRDT';
  /** Legs posted when the movement is instructed, executed by the bank, or failed by it. */
  postings: { instructed: LegTemplate[]; executed: LegTemplate[]; failed: LegTemplate[] };
  /** Ledger transaction types of the instructed, executed and failed postings. */
  instructedTransactionType: TransactionType;
  executedTransactionType: TransactionType;
  failedTransactionType: TransactionType;
  /** Whether it may go out of a frozen escrow account (a freeze stops releases, never refunds: refunds come first). */
  paysWhileFrozen: boolean;
  /** How the movement reads on the escrow account's statement (MT940 `:86:` / camt.053 `AddtlNtryInf`). */
  statementText: string;
}
