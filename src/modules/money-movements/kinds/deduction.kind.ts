import { MoneyMovementKind } from '../money-movement-kind';

/**
 * A scheduled bank deduction (银行定期划扣) of one period of a contract under periodic release:
 * the period's share of the price goes to the institution's basic account on its due date.
 * Instructing takes it from the contract's held funds into what is owed to the institution
 * (held → unsettled, type `deduction`), so a refund can never count it again; executed by the bank
 * it leaves escrow exactly like a release (unsettled ↓, bank cash ↓ and the memo pair settled ↑ /
 * paid_out ↑); failed, nothing left escrow and it stays owed to the institution, to be sent again.
 * Like every release it waits while the escrow account is frozen.
 */
export const deductionKind: MoneyMovementKind = {
  kind: 'deduction',
  webhookEvent: 'escrow.deduction.instructed',
  payee: 'institution_basic_account',
  direction: 'out',
  statementDirection: 'DBIT',
  postings: {
    instructed: [{ from: 'contract_held', to: 'institution_unsettled' }],
    executed: [
      { from: 'institution_unsettled', to: 'bank_cash' },
      { from: 'paid_out', to: 'institution_settled' },
    ],
    failed: [],
  },
  instructedTransactionType: 'deduction',
  executedTransactionType: 'settlement',
  failedTransactionType: 'settlement',
  paysWhileFrozen: false,
  statementText: 'DEDUCTION',
};
