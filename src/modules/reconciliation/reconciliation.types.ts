import type { ExpectedLineSource } from '@common/money/expected-line';
import type { ExceptionState } from './exception-state-machine';

/** Rows of the six reconciliation tables as the repository selects them (amounts and days as text). */

export type ExceptionType =
  | 'MISSING_IN_LEDGER'
  | 'MISSING_AT_BANK'
  | 'AMOUNT_MISMATCH'
  | 'DUPLICATE_AT_BANK'
  | 'BALANCE_BREAK'
  | 'STATEMENT_GAP'
  | 'STATEMENT_MISSING'
  | 'STATEMENT_INCONSISTENT';

/** 'deferred': a page before the day's last one (day-pages.ts): the last page's run reconciles its lines and the day. */
export type RunStatus = 'reconciled' | 'reconciled_in_transit' | 'broken' | 'inconsistent' | 'superseded' | 'deferred';
export type DayStatus = 'reconciled' | 'reconciled_in_transit' | 'broken' | 'missing';
export type MatchMethod = 'reference' | 'batch' | 'amount_date' | 'manual' | 'auto';

export interface RunRow {
  id: string;
  statement_id: string;
  escrow_account_id: string;
  business_date: string;
  status: RunStatus;
  bank_closing: string;
  ledger_balance: string | null;
  in_transit: string | null;
  in_transit_items: number;
  difference: string | null;
  residual: string | null;
  matched_lines: number;
  exceptions: number;
  created_at: Date;
}

export type NewRun = Omit<RunRow, 'created_at'>;

export interface MatchRow {
  id: string;
  group_id: string;
  part: number;
  parts: number;
  run_id: string | null;
  resolution_id: string | null;
  escrow_account_id: string;
  statement_id: string;
  line: number;
  bank_date: string;
  /** Signed (credit positive). */
  bank_amount: string;
  source: ExpectedLineSource;
  record_id: string;
  /** Signed (credit positive). */
  record_amount: string;
  record_posted_at: Date;
  /** signed(line) − Σ signed(records) on part 1; 0 on the other parts. */
  difference: string;
  method: MatchMethod;
  created_at: Date;
  reversed_at: Date | null;
  reversal_reason: string | null;
}

export type NewMatch = Omit<MatchRow, 'id' | 'created_at' | 'reversed_at' | 'reversal_reason'>;

export interface ExceptionRow {
  id: string;
  dedupe_key: string;
  run_id: string | null;
  escrow_account_id: string;
  institution_id: string;
  district_code: string;
  business_date: string;
  type: ExceptionType;
  currency: string;
  /** Unsigned. */
  amount: string;
  /** Bank minus ledger, signed. */
  effect: string;
  statement_id: string | null;
  line: number | null;
  bank_reference: string | null;
  source: ExpectedLineSource | null;
  record_id: string | null;
  platform_reference: string | null;
  details: Record<string, unknown>;
  state: ExceptionState;
  created_at: Date;
  updated_at: Date;
}

export type NewException = Omit<ExceptionRow, 'id' | 'state' | 'created_at' | 'updated_at'>;

export interface AccountDayRow {
  escrow_account_id: string;
  business_date: string;
  institution_id: string;
  district_code: string;
  currency: string;
  status: DayStatus;
  statement_id: string | null;
  run_id: string | null;
  bank_closing: string | null;
  ledger_balance: string | null;
  in_transit: string | null;
  difference: string | null;
  open_exceptions: number;
  updated_at: Date;
}

/** An escrow account as reconciliation needs it (read model over escrow_accounts ⨝ institutions). */
export interface AccountInfo {
  id: string;
  institution_id: string;
  district_code: string;
  bank_code: string;
  account_number: string;
  currency: string;
  state: string;
  created_at: Date;
}

export interface SystemResolution {
  exceptionId: string;
  action: 'auto_match' | 'superseded';
  reason: string;
  matchGroupId: string | null;
}
