import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { codePattern, requireDistrict } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { Clock } from '@common/clock';
import { DomainError } from '@common/errors/domain-error';
import { Money } from '@common/money/money';
import { DailyFlowsRepository } from './daily-flows.repository';

export interface DailyFlows {
  district: string;
  from: string;
  to: string;
  /** Every day of the range for every currency that moved in it (zeros included), oldest first. */
  days: { day: string; currency: string; inflow: string; outflow: string }[];
}

const DAY_MS = 86_400_000;

/** The calendar days from `from` to `to` inclusive (YYYY-MM-DD, plain date arithmetic in UTC). */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** Daily inflows and outflows of a district's escrow accounts (the console's chart). */
@Injectable()
export class DailyFlowsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: DailyFlowsRepository,
    private readonly clock: Clock,
  ) {}

  async district(who: Principal, district: string, days: number): Promise<DailyFlows> {
    if (!/^\d{6}$/.test(district)) throw new DomainError('INVALID_DISTRICT_CODE', 'District codes are 6 digits', { district });
    requireDistrict(who, district);
    const to = this.clock.today();
    const from = new Date(Date.parse(`${to}T00:00:00Z`) - (days - 1) * DAY_MS).toISOString().slice(0, 10);
    const rows = await this.repo.bankCashByDay(this.ds.manager, [codePattern(district)], from, to);
    const currencies = [...new Set(['CNY', ...rows.map((r) => r.currency)])].sort();
    const byKey = new Map(rows.map((r) => [`${r.day}|${r.currency}`, r]));
    const out: DailyFlows['days'] = [];
    for (const day of daysBetween(from, to)) {
      for (const currency of currencies) {
        const r = byKey.get(`${day}|${currency}`);
        const amount = (v: string | undefined) => (v ? Money.fromDb(v, currency) : Money.zero(currency)).toString();
        out.push({ day, currency, inflow: amount(r?.inflow), outflow: amount(r?.outflow) });
      }
    }
    return { district, from, to, days: out };
  }
}
