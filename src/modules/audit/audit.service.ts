import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Decimal from 'decimal.js';
import { DataSource } from 'typeorm';
import { Principal } from '../../common/auth/principal';
import { principalCoversDistrict } from '../../common/auth/scope';
import { DomainError } from '../../common/errors/domain-error';
import { Money } from '../../common/money/money';
import { InstitutionsService } from '../institutions/institutions.service';
import { AuditRepository, AuditRow } from './audit.repository';

export interface InstitutionAudit {
  institutionId: string;
  name: string;
  uscc: string;
  districtCode: string;
  escrowAccount: { id: string; bankCode: string; accountNumber: string; state: string } | null;
  /** Money held for undelivered lessons: what the escrow must cover. */
  obligations: string;
  paidIn: string;
  released: string;
  refunded: string;
  bankCash: string;
  suspense: string;
  /** bank cash / obligations, 4 decimals; null when nothing is owed. */
  coverage: string | null;
}

export interface DistrictAudit {
  district: string;
  asOf: string | null;
  generatedAt: string;
  institutions: InstitutionAudit[];
  totals: Omit<InstitutionAudit, 'institutionId' | 'name' | 'uscc' | 'districtCode' | 'escrowAccount'> & { institutions: number };
}

const FIELDS = ['obligations', 'paidIn', 'released', 'refunded', 'bankCash', 'suspense'] as const;

function coverage(cash: Money, obligations: Money): string | null {
  return obligations.isZero() ? null : new Decimal(cash.toString()).div(obligations.toString()).toDecimalPlaces(4).toFixed(4);
}

function toAudit(r: AuditRow): InstitutionAudit {
  const m = (v: string) => Money.fromDb(v);
  const held = m(r.held);
  const released = m(r.unsettled).plus(m(r.settled));
  const refunded = m(r.refund_payable);
  const cash = m(r.bank_cash);
  return {
    institutionId: r.institution_id,
    name: r.name,
    uscc: r.uscc,
    districtCode: r.district_code,
    escrowAccount: r.escrow_account_id ? { id: r.escrow_account_id, bankCode: r.bank_code!, accountNumber: r.account_number!, state: r.escrow_state! } : null,
    obligations: held.toString(),
    // The ledger invariant: paid in = released + refunded + still held.
    paidIn: held.plus(released).plus(refunded).toString(),
    released: released.toString(),
    refunded: refunded.toString(),
    bankCash: cash.toString(),
    suspense: m(r.suspense).toString(),
    coverage: coverage(cash, held),
  };
}

/** The regulator's escrow audit: per institution and for the district, now or as of a past moment. */
@Injectable()
export class AuditService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: AuditRepository,
    private readonly institutions: InstitutionsService,
  ) {}

  async district(who: Principal, district: string, asOf: Date | null): Promise<DistrictAudit> {
    if (!/^\d{6}$/.test(district)) throw new DomainError('INVALID_DISTRICT_CODE', 'District codes are 6 digits', { district });
    if (!principalCoversDistrict(who, district)) throw new DomainError('DISTRICT_OUT_OF_SCOPE', `District ${district} is outside your jurisdiction`);
    const pattern = district.endsWith('0000') ? `${district.slice(0, 2)}%` : district.endsWith('00') ? `${district.slice(0, 4)}%` : district;
    return this.build(district, await this.repo.byInstitution(this.ds.manager, [pattern], null, asOf), asOf);
  }

  async institution(who: Principal, institutionId: string, asOf: Date | null): Promise<DistrictAudit> {
    const inst = await this.institutions.getVisible(who, institutionId);
    return this.build(inst.districtCode, await this.repo.byInstitution(this.ds.manager, null, institutionId, asOf), asOf);
  }

  private build(district: string, rows: AuditRow[], asOf: Date | null): DistrictAudit {
    const institutions = rows.map(toAudit);
    const sum = (f: (typeof FIELDS)[number]) => Money.sum(institutions.map((i) => Money.fromDb(i[f])));
    const totals = Object.fromEntries(FIELDS.map((f) => [f, sum(f).toString()])) as Record<(typeof FIELDS)[number], string>;
    return {
      district,
      asOf: asOf ? asOf.toISOString() : null,
      generatedAt: new Date().toISOString(),
      institutions,
      totals: { ...totals, coverage: coverage(Money.fromDb(totals.bankCash), Money.fromDb(totals.obligations)), institutions: institutions.length },
    };
  }
}

const CSV_COLUMNS = ['institutionId', 'name', 'uscc', 'districtCode', 'bankCode', 'accountNumber', 'escrowState', ...FIELDS, 'coverage'];

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) || /^[=+\-@]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** CSV for spreadsheets: one row per institution and a TOTAL row (cells that look like formulas are quoted). */
export function auditCsv(a: DistrictAudit): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const i of a.institutions) {
    lines.push(
      [i.institutionId, i.name, i.uscc, i.districtCode, i.escrowAccount?.bankCode, i.escrowAccount?.accountNumber, i.escrowAccount?.state, ...FIELDS.map((f) => i[f]), i.coverage]
        .map(csvCell)
        .join(','),
    );
  }
  lines.push(['TOTAL', `${a.totals.institutions} institutions`, '', a.district, '', '', '', ...FIELDS.map((f) => a.totals[f]), a.totals.coverage].map(csvCell).join(','));
  return `${lines.join('\n')}\n`;
}
