import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Decimal from 'decimal.js';
import { DataSource } from 'typeorm';
import { codePattern, requireDistrict } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { chinaDate } from '@common/clock';
import { DomainError } from '@common/errors/domain-error';
import { Money } from '@common/money/money';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { ReconciliationService } from '@modules/reconciliation/reconciliation.service';
import { AuditRow, AuditRepository } from './audit.repository';

/** Amounts are decimal strings in `currency`, with its minor units (JPY has none). */
export interface InstitutionAudit {
  institutionId: string;
  name: string;
  uscc: string;
  districtCode: string;
  currency: string;
  escrowAccount: { id: string; bankCode: string; accountNumber: string; state: string } | null;
  /** Money held for undelivered lessons: what the escrow must cover. */
  obligations: string;
  paidIn: string;
  released: string;
  refunded: string;
  /** Moved to other institutions' escrow accounts with their students by closures (instructed or executed). */
  transferred: string;
  bankCash: string;
  suspense: string;
  /** bank cash / obligations, 4 decimals; null when nothing is owed. */
  coverage: string | null;
  /** The latest business day on which one of its escrow accounts reconciled with the bank's statement (issue 13); null if none yet. */
  lastReconciledDay: string | null;
  /** Its alerts open or acknowledged now (issue 16), counted by severity; now even when the audit is as of a past moment. */
  openAlerts: OpenAlertCounts;
}

export interface OpenAlertCounts {
  info: number;
  warning: number;
  critical: number;
}

const FIELDS = ['obligations', 'paidIn', 'released', 'refunded', 'transferred', 'bankCash', 'suspense'] as const;
type Field = (typeof FIELDS)[number];

/** The totals of one currency: amounts of different currencies are never added. */
export type CurrencyTotals = { currency: string; institutions: number; coverage: string | null } & Record<Field, string>;

export interface DistrictAudit {
  district: string;
  asOf: string | null;
  generatedAt: string;
  /** One entry per institution and currency it holds money in (at least one per institution). */
  institutions: InstitutionAudit[];
  /** One entry per currency, in currency order. */
  totals: CurrencyTotals[];
}

function coverage(cash: Money, obligations: Money): string | null {
  return obligations.isZero() ? null : new Decimal(cash.toString()).div(obligations.toString()).toDecimalPlaces(4).toFixed(4);
}

type Amounts = Record<Field, Money>;

function toAudit(r: AuditRow, lastReconciledDay: string | null, openAlerts: OpenAlertCounts): { audit: InstitutionAudit; amounts: Amounts } {
  const m = (v: string) => Money.fromDb(v, r.currency);
  // A closure short of cash pools what contracts hold above their share: still owed to payers.
  const held = m(r.held).plus(m(r.closure_pool));
  const released = m(r.unsettled).plus(m(r.settled));
  // Refunds approved (still payable) and refunds the bank executed (cumulative memo).
  const refunded = m(r.refund_payable).plus(m(r.payer_refunded));
  const transferred = m(r.transfer_payable).plus(m(r.payer_transferred));
  const cash = m(r.bank_cash);
  // The ledger invariant: paid in = released + refunded + transferred + still held.
  const amounts: Amounts = { obligations: held, paidIn: held.plus(released).plus(refunded).plus(transferred), released, refunded, transferred, bankCash: cash, suspense: m(r.suspense) };
  return {
    audit: {
      institutionId: r.institution_id,
      name: r.name,
      uscc: r.uscc,
      districtCode: r.district_code,
      currency: r.currency,
      escrowAccount: r.escrow_account_id ? { id: r.escrow_account_id, bankCode: r.bank_code!, accountNumber: r.account_number!, state: r.escrow_state! } : null,
      obligations: held.toString(),
      paidIn: amounts.paidIn.toString(),
      released: released.toString(),
      refunded: refunded.toString(),
      transferred: transferred.toString(),
      bankCash: cash.toString(),
      suspense: amounts.suspense.toString(),
      coverage: coverage(cash, held),
      lastReconciledDay,
      openAlerts,
    },
    amounts,
  };
}

/**
 * Sums per currency, from the amounts already parsed per institution (a city has 20,000 rows: no
 * second parse); `Money` refuses to add two currencies, so a mix-up fails loudly.
 */
function totalsByCurrency(rows: { audit: InstitutionAudit; amounts: Amounts }[]): CurrencyTotals[] {
  const byCurrency = new Map<string, { institutions: number; sums: Amounts }>();
  for (const { audit, amounts } of rows) {
    const t = byCurrency.get(audit.currency);
    if (!t) byCurrency.set(audit.currency, { institutions: 1, sums: { ...amounts } });
    else {
      t.institutions += 1;
      for (const f of FIELDS) t.sums[f] = t.sums[f].plus(amounts[f]);
    }
  }
  return [...byCurrency.keys()].sort().map((currency) => {
    const { institutions, sums } = byCurrency.get(currency)!;
    const totals = Object.fromEntries(FIELDS.map((f) => [f, sums[f].toString()])) as Record<Field, string>;
    return { currency, institutions, ...totals, coverage: coverage(sums.bankCash, sums.obligations) };
  });
}

const RECENT_SNAPSHOT_MS = 2 * 86_400_000;

/** The regulator's escrow audit: per institution and for the district, now or as of a past moment. */
@Injectable()
export class AuditService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: AuditRepository,
    private readonly institutions: InstitutionsService,
    private readonly reconciliation: ReconciliationService,
  ) {}

  async district(who: Principal, district: string, asOf: Date | null): Promise<DistrictAudit> {
    if (!/^\d{6}$/.test(district)) throw new DomainError('INVALID_DISTRICT_CODE', 'District codes are 6 digits', { district });
    requireDistrict(who, district);
    return this.build(district, await this.repo.byInstitution(this.ds.manager, [codePattern(district)], null, asOf, await this.fromSnapshot(asOf)), asOf);
  }

  async institution(who: Principal, institutionId: string, asOf: Date | null): Promise<DistrictAudit> {
    const inst = await this.institutions.getVisible(who, institutionId);
    return this.build(inst.districtCode, await this.repo.byInstitution(this.ds.manager, null, institutionId, asOf), asOf);
  }

  /**
   * A past moment always reads the nearest snapshot (hourly checkpoint or daily close) plus or
   * minus the postings in between. Now reads the latest one too when it ended within two days
   * (at most two days of postings to add; the hourly job keeps it within about an hour);
   * otherwise, or before any, the balance rows. Both give the same figures.
   */
  private async fromSnapshot(asOf: Date | null): Promise<boolean> {
    if (asOf) return true;
    const end = await this.repo.lastSnapshotEnd(this.ds.manager);
    return end !== null && Date.now() - end.getTime() <= RECENT_SNAPSHOT_MS;
  }

  private async build(district: string, rows: AuditRow[], asOf: Date | null): Promise<DistrictAudit> {
    const reconciled = await this.reconciliation.lastReconciledDays([...new Set(rows.map((r) => r.institution_id))], asOf ? chinaDate(asOf) : null);
    const alerts = await this.repo.openAlerts(this.ds.manager, [...new Set(rows.map((r) => r.institution_id))]);
    const none: OpenAlertCounts = { info: 0, warning: 0, critical: 0 };
    const audited = rows.map((r) => toAudit(r, reconciled.get(r.institution_id) ?? null, alerts.get(r.institution_id) ?? none));
    return {
      district,
      asOf: asOf ? asOf.toISOString() : null,
      generatedAt: new Date().toISOString(),
      institutions: audited.map((a) => a.audit),
      totals: totalsByCurrency(audited),
    };
  }
}

const CSV_COLUMNS = ['institutionId', 'name', 'uscc', 'districtCode', 'currency', 'bankCode', 'accountNumber', 'escrowState', ...FIELDS, 'coverage', 'lastReconciledDay', 'openAlertsCritical', 'openAlertsWarning', 'openAlertsInfo'];

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) || /^[=+\-@]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** CSV for spreadsheets: one row per institution and currency, and a TOTAL row per currency (cells that look like formulas are quoted). */
export function auditCsv(a: DistrictAudit): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const i of a.institutions) {
    lines.push(
      [i.institutionId, i.name, i.uscc, i.districtCode, i.currency, i.escrowAccount?.bankCode, i.escrowAccount?.accountNumber, i.escrowAccount?.state, ...FIELDS.map((f) => i[f]), i.coverage, i.lastReconciledDay, i.openAlerts.critical, i.openAlerts.warning, i.openAlerts.info]
        .map(csvCell)
        .join(','),
    );
  }
  for (const t of a.totals) {
    lines.push(['TOTAL', `${t.institutions} institutions`, '', a.district, t.currency, '', '', '', ...FIELDS.map((f) => t[f]), t.coverage, '', '', '', ''].map(csvCell).join(','));
  }
  return `${lines.join('\n')}\n`;
}
