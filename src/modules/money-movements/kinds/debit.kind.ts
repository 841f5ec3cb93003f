import { MoneyMovementKind } from '../money-movement-kind';

/**
 * An instalment debit (分期扣款) under the payer's mandate: the bank takes the instalment from the
 * payer's account into escrow. Instructing posts nothing (no money has moved yet); executed by the
 * bank the money lands in escrow as a credit of the contract like any credit (bank cash ↑, contract
 * held ↑, type `funding`, so it counts as paid in), and the instalments use case records the payment
 * on the contract in the same transaction; failed, nothing moved. The escrow account's statement
 * shows it as a credit (CRDT). Money coming in is never stopped by a freeze.
 */
export const debitKind: MoneyMovementKind = {
  kind: 'debit',
  webhookEvent: 'escrow.debit.instructed',
  payee: 'payer_original_account',
  direction: 'in',
  statementDirection: 'CRDT',
  postings: {
    instructed: [],
    executed: [{ from: 'bank_cash', to: 'contract_held' }],
    failed: [],
  },
  instructedTransactionType: 'debit',
  executedTransactionType: 'funding',
  failedTransactionType: 'debit',
  paysWhileFrozen: true,
  statementText: 'DEBIT',
};
