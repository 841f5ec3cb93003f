/**
 * The chart of accounts: which kinds of ledger account exist, which side is normal, whether
 * one may go negative, how many balance stripes it has and who owns it. Postings are signed
 * (debit positive); a balance is read on the account's normal side, so money held is positive.
 * Hot accounts (many writers at once) have several balance stripes. Only the ledger reads
 * this table: callers name a kind and an owner, the ledger picks the account.
 */
import type { LedgerOwner } from './ledger.types';

export type AccountKind =
  | 'contract_held'
  | 'institution_unsettled'
  | 'institution_settled'
  | 'paid_out'
  | 'refund_payable'
  | 'payer_refunded'
  | 'refunded_out'
  | 'bank_cash'
  | 'suspense'
  | 'risk_reserve'
  | 'bank_adjustment'
  | 'transfer_payable'
  | 'closure_pool'
  | 'payer_transferred'
  | 'transferred_out';

/** Whose account it is: one account per (kind, owner, currency). */
export type AccountOwnerKind = 'contract' | 'institution' | 'escrow';

export interface AccountKindRule {
  normalSide: 'debit' | 'credit';
  allowNegative: boolean;
  stripes: number;
  owner: AccountOwnerKind;
  description: string;
}

export const CHART_OF_ACCOUNTS: Record<AccountKind, AccountKindRule> = {
  contract_held: {
    normalSide: 'credit',
    allowNegative: false,
    stripes: 1,
    owner: 'contract',
    description: 'Prepaid fees of one contract still in escrow (一课一销 releases from here)',
  },
  institution_unsettled: {
    normalSide: 'credit',
    allowNegative: false,
    stripes: 16,
    owner: 'institution',
    description: 'Released to the institution, the bank has not executed the payment yet',
  },
  institution_settled: {
    normalSide: 'credit',
    allowNegative: false,
    stripes: 16,
    owner: 'institution',
    description: "Paid out to the institution's basic account (cumulative)",
  },
  paid_out: {
    normalSide: 'debit',
    allowNegative: false,
    stripes: 16,
    owner: 'institution',
    description: 'Memo contra of institution_settled: grows with each executed settlement, so settled stays cumulative',
  },
  refund_payable: {
    normalSide: 'credit',
    allowNegative: false,
    stripes: 4,
    owner: 'escrow',
    description: 'Refunds approved, not yet executed by the bank',
  },
  payer_refunded: {
    normalSide: 'credit',
    allowNegative: false,
    stripes: 4,
    owner: 'escrow',
    description: "Refunded to payers' original accounts (cumulative), with its memo contra refunded_out",
  },
  refunded_out: {
    normalSide: 'debit',
    allowNegative: false,
    stripes: 4,
    owner: 'escrow',
    description: 'Memo contra of payer_refunded: grows with each executed refund, so refunds paid stay cumulative (as paid_out for settlements)',
  },
  bank_cash: {
    normalSide: 'debit',
    allowNegative: false,
    stripes: 16,
    owner: 'escrow',
    description: 'The escrow account at the bank: the cash that should be there',
  },
  suspense: {
    normalSide: 'credit',
    allowNegative: false,
    stripes: 4,
    owner: 'escrow',
    description: 'Money received that matches nothing (yet): never lost, never silently accepted',
  },
  risk_reserve: {
    normalSide: 'credit',
    allowNegative: false,
    stripes: 1,
    owner: 'institution',
    description: 'Risk reserve deposit (风险保证金)',
  },
  bank_adjustment: {
    normalSide: 'debit',
    allowNegative: true,
    stripes: 1,
    owner: 'escrow',
    description: 'Differences found in reconciliation, corrected by regulators; may go either way',
  },
  transfer_payable: {
    normalSide: 'credit',
    allowNegative: false,
    stripes: 4,
    owner: 'escrow',
    description: "A student's money on its way to another institution's escrow account (a closure's transfer), not yet executed by the bank",
  },
  closure_pool: {
    normalSide: 'credit',
    allowNegative: false,
    stripes: 1,
    owner: 'escrow',
    description: "A closure short of cash: what contracts hold above their pro rata share, pooled for the payers refunded after them",
  },
  payer_transferred: {
    normalSide: 'credit',
    allowNegative: false,
    stripes: 4,
    owner: 'escrow',
    description: "Transferred to other institutions' escrow accounts by closures (cumulative), with its memo contra transferred_out",
  },
  transferred_out: {
    normalSide: 'debit',
    allowNegative: false,
    stripes: 4,
    owner: 'escrow',
    description: 'Memo contra of payer_transferred: grows with each executed transfer, so transferred stays cumulative',
  },
};

export const ACCOUNT_KINDS = Object.keys(CHART_OF_ACCOUNTS) as AccountKind[];

export function isAccountKind(s: string): s is AccountKind {
  return Object.prototype.hasOwnProperty.call(CHART_OF_ACCOUNTS, s);
}

/** Journal transaction types (the database CHECK lists the same values). */
export const TRANSACTION_TYPES = ['funding', 'release', 'refund', 'settlement', 'reversal', 'adjustment', 'transfer', 'deduction', 'debit'] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];

/** One account, fully identified: its kind, the ids of its owner and its currency. */
export interface AccountSpec {
  type: AccountKind;
  currency?: string;
  escrowAccountId?: string | null;
  institutionId?: string | null;
  contractId?: string | null;
}

/**
 * The natural key of an account: `<owner kind>:<owner id>:<kind>:<currency>`. Stored in
 * `ledger_accounts.code`, so this format must never change (existing rows are found by it).
 */
export function accountCode(spec: AccountSpec): string {
  const currency = spec.currency ?? 'CNY';
  const ownerKind = CHART_OF_ACCOUNTS[spec.type].owner;
  const ownerId = ownerKind === 'contract' ? spec.contractId : ownerKind === 'institution' ? spec.institutionId : spec.escrowAccountId;
  return `${ownerKind}:${ownerId}:${spec.type}:${currency}`;
}

/** The account of `kind` that belongs to `owner` (the chart says which of the owner's ids counts). */
export function accountSpecFor(kind: AccountKind, owner: LedgerOwner): AccountSpec {
  const rule = CHART_OF_ACCOUNTS[kind];
  if (rule.owner === 'contract' && !owner.contractId) throw new Error(`A ${kind} account needs the owner's contractId`);
  return {
    type: kind,
    currency: owner.currency,
    contractId: rule.owner === 'contract' ? owner.contractId : null,
    institutionId: owner.institutionId,
    // Institution accounts are shared by all of an institution's escrow accounts.
    escrowAccountId: rule.owner === 'institution' ? null : owner.escrowAccountId,
  };
}
