import type { ExpectedLine } from '@common/money/expected-line';
import type { StatementRow } from '@modules/statements/statements.service';
import { BankLine, fromMinor, toMinor } from './matching';
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

/** STATEMENT_GAP (step 3): the opening is not the previous closing, or a numeric sequence does not follow the previous one; null when continuous. */
export function gapException(f: ExceptionFacts, st: StatementRow, prev: StatementRow): NewException | null {
  const jump = toMinor(st.opening_balance) - toMinor(prev.closing_balance);
  const numeric = (s: string | null) => (s !== null && /^\d{1,15}$/.test(s.trim()) ? BigInt(s.trim()) : null);
  const [p, c] = [numeric(prev.sequence), numeric(st.sequence)];
  const samePage = prev.statement_date === st.statement_date; // a later page of the same statement keeps its number
  const sequenceBreak = p !== null && c !== null && c !== (samePage ? p : p + 1n);
  if (jump === 0n && !sequenceBreak) return null;
  return exceptionOf(f, {
    type: 'STATEMENT_GAP',
    key: `gap:${st.id}`,
    amount: jump < 0n ? -jump : jump,
    effect: 0n,
    details: { previousStatementId: prev.id, previousDate: prev.statement_date, previousSequence: prev.sequence, sequence: st.sequence, previousClosing: prev.closing_balance, opening: st.opening_balance },
  });
}
