import { Money } from '@common/money/money';
import type { ReleaseTerms } from '@modules/contracts/contract.types';

/** Released weekly lessons of one contract and week (lesson ids sorted, amounts summed). */
export interface WeeklyLessons {
  contract_id: string;
  institution_id: string;
  week: string;
  ids: string[];
  total: string;
}

/** One netted release movement: an institution's lessons of a week, at one escrow account and currency. */
export interface WeeklyGroup {
  institutionId: string;
  escrowAccountId: string;
  week: string;
  /** Days after the week's Sunday before the bank may pay (the contracts' weekly cadence). */
  delay: number;
  /** Sorted, so the first one names the movement the same way on every run. */
  ids: string[];
  total: Money;
}

type Terms = Pick<ReleaseTerms, 'contract_id' | 'escrow_account_id' | 'currency' | 'cadence'>;

const delayOf = (t: Terms) => (t.cadence.kind === 'weekly' ? (t.cadence.paymentDelayDays ?? 0) : 0);

/**
 * Nets a week's released lessons into one group per institution, escrow account, currency,
 * week and payment delay, taking each contract's escrow account, currency and delay from the
 * terms it was signed under. A lesson of a contract without terms is an error: every lesson
 * belongs to a contract.
 */
export function netWeekly(rows: WeeklyLessons[], terms: Terms[]): WeeklyGroup[] {
  const byContract = new Map(terms.map((t) => [t.contract_id, t]));
  const groups = new Map<string, WeeklyGroup>();
  for (const r of rows) {
    const t = byContract.get(r.contract_id);
    if (!t) throw new Error(`No terms for contract ${r.contract_id}`);
    const delay = delayOf(t);
    const key = [r.institution_id, t.escrow_account_id, t.currency, r.week, delay].join('|');
    const amount = Money.fromDb(r.total, t.currency);
    const g = groups.get(key);
    if (g) {
      g.ids.push(...r.ids);
      g.total = g.total.plus(amount);
    } else {
      groups.set(key, { institutionId: r.institution_id, escrowAccountId: t.escrow_account_id, week: r.week, delay, ids: [...r.ids], total: amount });
    }
  }
  const order = (g: WeeklyGroup) => `${g.week}|${g.institutionId}|${g.escrowAccountId}|${String(g.delay).padStart(6, '0')}`;
  const out = [...groups.values()];
  for (const g of out) g.ids.sort();
  return out.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}
