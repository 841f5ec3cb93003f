import { addDaysTo, addMonths } from '@common/dates';
import { Money } from '@common/money/money';

export type DeductionFrequency = 'monthly' | 'weekly';

/** One period of a deduction schedule: the days it covers (inclusive), when it falls due and its share of the price. */
export interface PlannedPeriod {
  seq: number;
  periodFrom: string;
  periodTo: string;
  /** The day after the period ends: its service is delivered, its money may go to the institution. */
  dueDate: string;
  amount: Money;
}

/**
 * The period boundaries of a course from `startDate` to `endDate` (inclusive). Monthly periods
 * start on the start date's day of the month, each boundary counted from the start date (never
 * from the previous boundary), so a month without that day ends on its last day and the next
 * period starts on the day again: 31 January → 28 (29) February → 31 March → 30 April. Weekly
 * periods are 7 days. The last period ends on the end date (it may be shorter).
 */
export function periodBounds(startDate: string, endDate: string, frequency: DeductionFrequency): { periodFrom: string; periodTo: string }[] {
  if (endDate < startDate) throw new Error(`The end ${endDate} is before the start ${startDate}`);
  const afterEnd = addDaysTo(endDate, 1);
  const boundary = (k: number) => (frequency === 'monthly' ? addMonths(startDate, k) : addDaysTo(startDate, 7 * k));
  const out: { periodFrom: string; periodTo: string }[] = [];
  for (let k = 1, from = startDate; from < afterEnd; k++) {
    const next = boundary(k) < afterEnd ? boundary(k) : afterEnd;
    out.push({ periodFrom: from, periodTo: addDaysTo(next, -1) });
    from = next;
  }
  return out;
}

/**
 * An exact split of `total` into `parts`: each part the total divided by the parts, rounded down
 * to the currency's minor unit, the last part taking the remainder (the remainder rule of
 * lessons): 10,000.00 over 3 = 3,333.33 + 3,333.33 + 3,333.34.
 */
export function splitExactly(total: Money, parts: number): Money[] {
  if (!Number.isInteger(parts) || parts < 1) throw new Error(`At least one part, got ${parts}`);
  const regular = Money.fromMinor(total.toMinor() / BigInt(parts), total.currency);
  const before = Money.fromMinor(regular.toMinor() * BigInt(parts - 1), total.currency);
  return [...Array.from({ length: parts - 1 }, () => regular), total.minus(before)];
}

/** The whole schedule of a contract: its periods with their due dates and amounts (adding up to the price exactly). */
export function deductionSchedule(total: Money, startDate: string, endDate: string, frequency: DeductionFrequency): PlannedPeriod[] {
  const bounds = periodBounds(startDate, endDate, frequency);
  const amounts = splitExactly(total, bounds.length);
  return bounds.map((b, i) => ({ seq: i + 1, ...b, dueDate: addDaysTo(b.periodTo, 1), amount: amounts[i] }));
}
