import { addDaysTo } from '@common/dates';
import { chinaDate } from '@common/clock';
import { Money } from '@common/money/money';
import {
  AccountDayDto,
  AdjustmentDto,
  DAY_STATUSES,
  DistrictSummaryDto,
  DistrictTotalsDto,
  ExceptionDto,
  MatchDto,
  ResolutionDto,
  RunDto,
  StatusTotalsDto,
} from './dto/reconciliation.dto';
import { AccountDayRow, RunViewRow } from './reconciliation-reads.repository';
import { AdjustmentRow, ExceptionViewRow, MatchViewRow, ResolutionRow } from './resolutions.repository';

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** Whole days from `from` to `to` (both YYYY-MM-DD). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The day before `today` that is a working day, by the calendar given. */
export function previousWorkingDay(today: string, isWorkday: (day: string) => boolean): string {
  let day = addDaysTo(today, -1);
  for (let i = 0; i < 60 && !isWorkday(day); i++) day = addDaysTo(day, -1);
  return day;
}

export function toAccountDay(r: AccountDayRow): AccountDayDto {
  return {
    escrowAccountId: r.escrow_account_id,
    institutionId: r.institution_id,
    bankCode: r.bank_code,
    accountNumber: r.account_number,
    currency: r.currency,
    status: r.status,
    bankClosing: r.bank_closing,
    ledgerBalance: r.ledger_balance,
    inTransit: r.in_transit,
    difference: r.difference,
    openExceptions: Number(r.open_exceptions),
    statementId: r.statement_id,
  };
}

/** Accounts and closing balances per status; balances summed per currency, never across currencies. */
export function toDistrictSummary(districtCode: string, date: string, rows: AccountDayRow[]): DistrictSummaryDto {
  const accounts = rows.map(toAccountDay);
  const totals = Object.fromEntries(
    DAY_STATUSES.map((status): [string, StatusTotalsDto] => {
      const of = accounts.filter((a) => a.status === status);
      const sums = new Map<string, Money>();
      for (const a of of) {
        if (a.bankClosing === null) continue;
        sums.set(a.currency, (sums.get(a.currency) ?? Money.zero(a.currency)).plus(Money.fromDb(a.bankClosing, a.currency)));
      }
      const bankClosing = Object.fromEntries([...sums.entries()].sort(([x], [y]) => x.localeCompare(y)).map(([c, m]) => [c, m.toString()]));
      return [status, { accounts: of.length, bankClosing }];
    }),
  ) as unknown as DistrictTotalsDto;
  return { districtCode, date, totals, accounts };
}

/** An open or accepted (not yet cleared) exception ages until today; a resolved one stopped ageing when it was last resolved. */
export function toException(r: ExceptionViewRow, today: string): ExceptionDto {
  const until = r.state === 'resolved' ? chinaDate(new Date(r.updated_at)) : today;
  return {
    id: r.id,
    type: r.type,
    state: r.state,
    escrowAccountId: r.escrow_account_id,
    institutionId: r.institution_id,
    districtCode: r.district_code,
    businessDate: r.business_date,
    amount: r.amount,
    effect: r.effect,
    currency: r.currency,
    statementId: r.statement_id,
    line: r.line,
    bankReference: r.bank_reference,
    source: r.source,
    recordId: r.record_id,
    platformReference: r.platform_reference,
    ageDays: Math.max(0, daysBetween(r.business_date, until)),
    details: r.details ?? {},
    createdAt: new Date(r.created_at).toISOString(),
  };
}

export function toResolution(r: ResolutionRow): ResolutionDto {
  return {
    id: r.id,
    exceptionId: r.exception_id,
    action: r.action,
    reason: r.reason,
    actor: r.actor,
    actorRole: r.actor_role,
    matchGroupId: r.match_group_id,
    adjustmentId: r.adjustment_id,
    creditId: r.credit_id,
    reversesId: r.reverses_id,
    reversedById: r.reversed_by_id,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

export function toMatch(r: MatchViewRow): MatchDto {
  return {
    id: r.id,
    groupId: r.group_id,
    part: r.part,
    parts: r.parts,
    statementId: r.statement_id,
    line: r.line,
    bankDate: r.bank_date,
    bankAmount: r.bank_amount,
    source: r.source,
    recordId: r.record_id,
    recordAmount: r.record_amount,
    difference: r.difference,
    method: r.method,
    resolutionId: r.resolution_id,
    createdAt: new Date(r.created_at).toISOString(),
    reversedAt: iso(r.reversed_at),
    reversalReason: r.reversal_reason,
  };
}

export function toAdjustment(r: AdjustmentRow): AdjustmentDto {
  return {
    id: r.id,
    exceptionId: r.exception_id,
    escrowAccountId: r.escrow_account_id,
    amount: r.amount,
    currency: r.currency.trim(),
    reason: r.reason,
    state: r.approved_by ? 'approved' : 'proposed',
    proposedBy: r.proposed_by,
    proposedAt: new Date(r.proposed_at).toISOString(),
    approvedBy: r.approved_by,
    approvedAt: iso(r.approved_at),
    ledgerTransactionId: r.ledger_txn_id,
  };
}

export function toRun(r: RunViewRow): RunDto {
  return {
    id: r.id,
    statementId: r.statement_id,
    escrowAccountId: r.escrow_account_id,
    businessDate: r.business_date,
    status: r.status,
    bankClosing: r.bank_closing,
    ledgerBalance: r.ledger_balance,
    inTransit: r.in_transit,
    difference: r.difference,
    residual: r.residual,
    matchedLines: r.matched_lines,
    exceptions: r.exceptions,
    createdAt: new Date(r.created_at).toISOString(),
  };
}
