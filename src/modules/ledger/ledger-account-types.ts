/**
 * Ledger account types. Postings are signed (debit positive); an account's balance is read
 * on its normal side, so money held is positive. Whether it may go negative is part of the
 * type; hot accounts (many writers at once) have several balance stripes.
 */
export const LEDGER_ACCOUNT_TYPES = {
  /** Prepaid fees of one contract still in escrow (一课一销 releases from here). */
  contract_held: { normalSide: 'credit', allowNegative: false, stripes: 1 },
  /** Released to the institution, settlement instruction not yet executed by the bank. */
  institution_unsettled: { normalSide: 'credit', allowNegative: false, stripes: 16 },
  /** Paid out to the institution's basic account (cumulative). */
  institution_settled: { normalSide: 'credit', allowNegative: false, stripes: 16 },
  /** Refunds approved, not yet executed by the bank. */
  refund_payable: { normalSide: 'credit', allowNegative: false, stripes: 4 },
  /** The escrow account at the bank: the cash that should be there. */
  bank_cash: { normalSide: 'debit', allowNegative: false, stripes: 16 },
  /** Money received that matches nothing (yet): never lost, never silently accepted. */
  suspense: { normalSide: 'credit', allowNegative: false, stripes: 4 },
  /** Risk reserve deposit (风险保证金). */
  risk_reserve: { normalSide: 'credit', allowNegative: false, stripes: 1 },
  /** Memo contra of institution_settled: grows with each executed settlement, so `settled` stays cumulative. */
  paid_out: { normalSide: 'debit', allowNegative: false, stripes: 16 },
  /** Differences found in reconciliation, corrected by regulators; may go either way. */
  bank_adjustment: { normalSide: 'debit', allowNegative: true, stripes: 1 },
} as const;

export type LedgerAccountType = keyof typeof LEDGER_ACCOUNT_TYPES;

export const TRANSACTION_TYPES = ['funding', 'release', 'refund', 'settlement', 'reversal', 'adjustment', 'transfer'] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];

export interface AccountSpec {
  type: LedgerAccountType;
  currency?: string;
  escrowAccountId?: string | null;
  institutionId?: string | null;
  contractId?: string | null;
}

/** The natural key of an account: one per (type, owner, currency). */
export function accountCode(spec: AccountSpec): string {
  const currency = spec.currency ?? 'CNY';
  const owner =
    spec.type === 'contract_held'
      ? `contract:${spec.contractId}`
      : spec.type.startsWith('institution_') || spec.type === 'risk_reserve' || spec.type === 'paid_out'
        ? `institution:${spec.institutionId}`
        : `escrow:${spec.escrowAccountId}`;
  return `${owner}:${spec.type}:${currency}`;
}
