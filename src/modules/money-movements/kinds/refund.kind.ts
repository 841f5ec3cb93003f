import { MoneyMovementKind } from '../money-movement-kind';

/**
 * A refund to the payer's original account. Instructing reserves the money (contract held →
 * refund payable); executed by the bank it leaves escrow (refund payable ↓, bank cash ↓, and the
 * cumulative memo pair payer refunded ↑ / refunded out ↑);
 * failed, nothing left escrow and the money stays payable to the payer. The refund feature
 * (who may ask, how much) is its own use case; this is only how its money moves.
 */
export const refundKind: MoneyMovementKind = {
  kind: 'refund',
  webhookEvent: 'escrow.refund.instructed',
  payee: 'payer_original_account',
  direction: 'out',
  statementDirection: 'DBIT',
  postings: {
    instructed: [{ from: 'contract_held', to: 'refund_payable' }],
    // The memo pair keeps what was refunded in the ledger after the payable is gone (audit: refunded).
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
  statementText: 'REFUND',
};
