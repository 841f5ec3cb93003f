import { MoneyMovementKind } from '../money-movement-kind';

/**
 * A student's money moving to another institution's escrow account when a closure transfers the
 * student (issue 14). Instructing reserves it (contract held → transfer payable of the closing
 * institution's escrow account); executed by the bank it leaves that account (transfer payable ↓,
 * bank cash ↓: a debit line on its statement). The closures use case then funds the new contract
 * in the receiving escrow account as a bank credit quoting the transfer's end-to-end reference, so
 * the receiving account's statement expects the matching credit line. Failed, nothing left escrow
 * and the money stays payable to the receiving account.
 */
export const transferKind: MoneyMovementKind = {
  kind: 'transfer',
  webhookEvent: 'escrow.transfer.instructed',
  payee: 'receiving_escrow_account',
  direction: 'out',
  statementDirection: 'DBIT',
  postings: {
    instructed: [{ from: 'contract_held', to: 'transfer_payable' }],
    // The memo pair keeps what was transferred in the ledger after the payable is gone (audit: transferred).
    executed: [
      { from: 'transfer_payable', to: 'bank_cash' },
      { from: 'transferred_out', to: 'payer_transferred' },
    ],
    failed: [],
  },
  instructedTransactionType: 'transfer',
  executedTransactionType: 'settlement',
  failedTransactionType: 'settlement',
  paysWhileFrozen: true,
  statementText: 'TRANSFER',
};
