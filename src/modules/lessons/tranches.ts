import { Money } from '@common/money/money';
import type { Percent } from '@modules/policies/policy-rules';

export interface Tranche {
  part: number;
  /** Confirmed lessons needed before this part is released. */
  afterLessons: number;
  amount: Money;
}

/** "1/3" → ceil(lessons / 3); "1" → all lessons. */
function threshold(fraction: string, lessons: number): number {
  const [num, den] = fraction.split('/').map(Number);
  return Math.ceil((lessons * num) / (den || 1));
}

/**
 * Tranche plan of a contract: the price split by the percentages (the last part takes the
 * remainder, so the parts add up exactly), each due when enough lessons are confirmed.
 */
export function tranchePlan(total: Money, lessons: number, tranches: { atFraction: string; percent: Percent }[]): Tranche[] {
  const amounts = total.allocateByRatios(tranches.map((t) => t.percent));
  return tranches.map((t, i) => ({ part: i + 1, afterLessons: Math.min(lessons, threshold(t.atFraction, lessons)), amount: amounts[i] }));
}
