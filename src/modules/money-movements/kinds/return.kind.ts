import { MoneyMovementKind } from '../money-movement-kind';

/**
 * Money held in suspense (a credit that matched no contract, overpaid one, or came for a cancelled
 * one) returned to the payer's original account: a refund of money that never belonged to a
 * contract. Instructing reserves it (suspense → refund payable); executed by the bank it leaves
 * escrow like a refund (refund payable ↓, bank cash ↓, and the memo pair payer refunded ↑ /
 * refunded out ↑); failed, nothing left escrow and it stays payable to the payer.
 */
export const returnKind: MoneyMovementKind = {
  kind: 'return',
  webhookEvent: 'escrow.return.instructed',
  payee: 'payer_original_account',
  direction: 'out',
  statementDirection: 'DBIT',
  postings: {
    instructed: [{ from: 'suspense', to: 'refund_payable' }],
    executed: [
      { from: 'refund_payable', to: 'bank_cash' },
      { from: 'refunded_out', to: 'payer_refunded' },
    ],
    failed: [],
  },
  instructedTransactionType: 'refund',
  executedTransactionType: 'settlement',
  failedTransactionType: 'settlement',
  paysWhileFrozen: true,
  statementText: 'RETURN',
};
