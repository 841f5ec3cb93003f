import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { codePattern, requireDistrict } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { chinaDate } from '@common/clock';
import { DomainError } from '@common/errors/domain-error';
import { minorUnits } from '@common/money/currency';
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

/**
 * The figures come summed from SQL (numeric, exact) with two decimals; a currency with other
 * minor units (JPY: none) is written with its own through Money. No arithmetic here: a city's
 * 20,000 rows were parsed into decimal.js and added again, half of the answer's time.
 */
function formatter(currency: string): (v: string) => string {
  return minorUnits(currency) === 2 ? (v) => v : (v) => Money.fromDb(v, currency).toString();
}

function toAudit(r: AuditRow & { institution_id: string }, lastReconciledDay: string | null): InstitutionAudit {
  return {
    institutionId: r.institution_id,
    name: r.name,
    uscc: r.uscc,
    districtCode: r.district_code,
    currency: r.currency,
    escrowAccount: r.escrow_account_id ? { id: r.escrow_account_id, bankCode: r.bank_code!, accountNumber: r.account_number!, state: r.escrow_state! } : null,
    ...figures(r),
    lastReconciledDay,
    openAlerts: { info: r.alerts_info, warning: r.alerts_warning, critical: r.alerts_critical },
  };
}

/** The figures an institution's line and a currency's totals share, in the answer's order. */
function figures(r: AuditRow) {
  const f = formatter(r.currency);
  return {
    obligations: f(r.obligations),
    paidIn: f(r.paid_in),
    released: f(r.released),
    refunded: f(r.refunded),
    transferred: f(r.transferred),
    bankCash: f(r.bank_cash),
    suspense: f(r.suspense),
    coverage: r.coverage,
  };
}

/** One entry per currency, in currency order (the totals' rows come so from SQL). */
function toTotals(r: AuditRow): CurrencyTotals {
  return {
    currency: r.currency,
    institutions: r.currency_institutions ?? 0,
    ...figures(r),
  };
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
    return this.read(district, [codePattern(district)], null, asOf, await this.fromSnapshot(asOf));
  }

  async institution(who: Principal, institutionId: string, asOf: Date | null): Promise<DistrictAudit> {
    const inst = await this.institutions.getVisible(who, institutionId);
    return this.read(inst.districtCode, null, institutionId, asOf, asOf !== null);
  }

  /**
   * A past moment always reads the nearest snapshot (checkpoint or daily close) plus or
   * minus the postings in between. Now reads the latest one too when it ended within two days
   * (at most two days of postings to add; the job keeps it within about 5 minutes);
   * otherwise, or before any, the balance rows. Both give the same figures.
   */
  private async fromSnapshot(asOf: Date | null): Promise<boolean> {
    if (asOf) return true;
    const end = await this.repo.lastSnapshotEnd(this.ds.manager);
    return end !== null && Date.now() - end.getTime() <= RECENT_SNAPSHOT_MS;
  }

  /** One read-only transaction (one snapshot) for the figures and the reconciled days. */
  private read(district: string, patterns: string[] | null, institutionId: string | null, asOf: Date | null, fromSnapshot: boolean): Promise<DistrictAudit> {
    return this.ds.transaction('REPEATABLE READ', async (m) => {
      await this.repo.readOnly(m);
      const all = await this.repo.byInstitution(m, patterns, institutionId, asOf, fromSnapshot);
      const rows = all.filter((r): r is AuditRow & { institution_id: string } => r.institution_id !== null);
      const reconciled = await this.reconciliation.lastReconciledDays([...new Set(rows.map((r) => r.institution_id))], asOf ? chinaDate(asOf) : null, m);
      return {
        district,
        asOf: asOf ? asOf.toISOString() : null,
        generatedAt: new Date().toISOString(),
        institutions: rows.map((r) => toAudit(r, reconciled.get(r.institution_id) ?? null)),
        totals: all.filter((r) => r.institution_id === null).map(toTotals),
      };
    });
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
