import { MoneyMovementKind } from '../money-movement-kind';

/**
 * A release to the institution. The use case (a lesson, a tranche, a completed contract) has
 * already posted held → unsettled, so instructing posts nothing. Executed by the bank: the
 * money leaves escrow (unsettled ↓, bank cash ↓) and the cumulative settled figure grows against
 * its memo contra (paid_out ↑, settled ↑), so released = unsettled + settled. Failed: nothing
 * left escrow, the money stays owed to the institution (unsettled) for an admin to redeliver.
 */
export const releaseKind: MoneyMovementKind = {
  kind: 'release',
  webhookEvent: 'escrow.release.instructed',
  payee: 'institution_basic_account',
  direction: 'out',
  statementDirection: 'DBIT',
  postings: {
    instructed: [],
    executed: [
      { from: 'institution_unsettled', to: 'bank_cash' },
      { from: 'paid_out', to: 'institution_settled' },
    ],
    failed: [],
  },
  instructedTransactionType: 'release',
  executedTransactionType: 'settlement',
  failedTransactionType: 'settlement',
  paysWhileFrozen: false,
  statementText: 'RELEASE',
};
