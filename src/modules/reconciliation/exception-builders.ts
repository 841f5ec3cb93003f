import type { ExpectedLine } from '@common/money/expected-line';
import { BankLine, fromMinor } from './matching';
import type { AccountInfo, ExceptionType, NewException } from './reconciliation.repository';

/** What every exception of one run shares. */
export interface ExceptionFacts {
  runId: string | null;
  account: AccountInfo;
  statementId: string | null;
  businessDate: string;
  currency: string;
}

export interface ExceptionSpec {
  type: ExceptionType;
  /** One exception per key (a run repeated, or the next day's run, finds the same thing once). */
  key: string;
  /** Unsigned minor units. */
  amount: bigint;
  /** Bank minus ledger, signed minor units. */
  effect: bigint;
  /** The bank line it is about: the exception is dated by the line's statement. */
  line?: BankLine;
  records?: ExpectedLine[];
  /** false: about a record, not about this statement (kept when the statement is superseded). */
  statementScoped?: boolean;
  details: Record<string, unknown>;
}

/** A reconciliation exception with both sides' references, amount and signed effect (pure). */
export function exceptionOf(f: ExceptionFacts, s: ExceptionSpec): NewException {
  const record = s.records?.[0] ?? null;
  const line = s.line;
  return {
    dedupe_key: s.key,
    run_id: f.runId,
    escrow_account_id: f.account.id,
    institution_id: f.account.institution_id,
    district_code: f.account.district_code,
    business_date: line?.statementDate ?? f.businessDate,
    type: s.type,
    currency: f.currency,
    amount: fromMinor(s.amount),
    effect: fromMinor(s.effect),
    statement_id: line ? line.statementId : s.statementScoped === false ? null : f.statementId,
    line: line?.line ?? null,
    bank_reference: line?.reference ?? null,
    source: record?.source ?? null,
    record_id: record?.id ?? null,
    platform_reference: record?.references[0] ?? null,
    details: {
      ...s.details,
      ...(line ? { bankLine: { direction: line.direction, amount: fromMinor(line.amount), date: line.date, reversal: line.reversal } } : {}),
      ...(s.records?.length
        ? { records: s.records.map((r) => ({ source: r.source, id: r.id, direction: r.direction, amount: r.amount, valueDate: r.valueDate, references: r.references })) }
        : {}),
    },
  };
}
