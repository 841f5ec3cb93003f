import { addDaysTo } from '@common/dates';
import { Money } from '@common/money/money';
import { lessonAmount } from '@modules/contracts/contract-rules';

/** What a refund is computed from: the contract's price, its lessons and what has been consumed and paid. */
export interface RefundBasis {
  total: Money;
  lessons: number;
  lessonsConsumed: number;
  /** The consumed lessons' amounts, as each was priced when consumed (the contract's allocation). */
  consumedAmount: Money;
  paidIn: Money;
}

/** The computation a payer can check: what was consumed, what it cost, and the refund. */
export interface RefundComputation {
  phase: 'before_start' | 'after_start';
  lessons: number;
  lessonsConsumed: number;
  consumedAmount: Money;
  remainingLessons: number;
  paidIn: Money;
  refund: Money;
}

/**
 * The amount of a refund of the whole remainder, never typed by anyone.
 * - Before the first lesson: everything paid in.
 * - After the start: the exact amounts of the lessons not yet consumed, each priced by the
 *   contract's allocation (the one remainder rule, `lessonAmount`: the total divided by the
 *   lessons, rounded down, the last lesson taking the remainder), so a refund never takes
 *   money of a delivered lesson and never leaves undelivered money behind. 48 lessons for
 *   11,111.11 with 17 consumed: 30 × 231.48 + 231.55 = 7,175.95. It never exceeds what was paid
 *   for lessons not consumed.
 * Lessons consumed but not yet released stay with the institution and follow their cadence.
 */
export function refundAmount(b: RefundBasis): RefundComputation {
  const currency = b.total.currency;
  if (!Number.isInteger(b.lessons) || b.lessons < 1) throw new Error(`A contract has at least one lesson, got ${b.lessons}`);
  if (!Number.isInteger(b.lessonsConsumed) || b.lessonsConsumed < 0 || b.lessonsConsumed > b.lessons) {
    throw new Error(`Consumed lessons must be between 0 and ${b.lessons}, got ${b.lessonsConsumed}`);
  }
  const common = { lessons: b.lessons, lessonsConsumed: b.lessonsConsumed, consumedAmount: b.consumedAmount, remainingLessons: b.lessons - b.lessonsConsumed, paidIn: b.paidIn };
  if (b.lessonsConsumed === 0) return { phase: 'before_start', ...common, refund: b.paidIn };
  // The remaining lessons one by one, as they would have been consumed.
  let consumed = b.consumedAmount;
  let remaining = Money.zero(currency);
  for (let k = b.lessonsConsumed; k < b.lessons; k++) {
    const next = lessonAmount(b.total, b.lessons, k, consumed);
    remaining = remaining.plus(next);
    consumed = consumed.plus(next);
  }
  const paidForRemaining = b.paidIn.minus(b.consumedAmount);
  const refund = remaining.gt(paidForRemaining) ? paidForRemaining : remaining;
  return { phase: 'after_start', ...common, refund: refund.isNegative() ? Money.zero(currency) : refund };
}

/** The day by which an approved refund must be paid: the policy's days before or after the start (calendar days, China time). */
export function refundPayBy(approvedOn: string, phase: RefundComputation['phase'], terms: { daysBeforeStart: number; daysAfterStart: number }): string {
  return addDaysTo(approvedOn, phase === 'before_start' ? terms.daysBeforeStart : terms.daysAfterStart);
}

/**
 * A contract released on a schedule (periodic release, see the deductions module): its lessons do
 * not price the refund. The refund is what was paid in less what the schedule keeps for the
 * institution (`kept`: the periods already deducted or instructed, and those due by the approval
 * day that nobody objected to); the periods not yet due are cancelled and their money refunded.
 * Never negative.
 */
export function scheduledRefund(c: RefundComputation, kept: Money): RefundComputation {
  const refund = c.paidIn.minus(kept);
  return { ...c, phase: kept.isPositive() ? 'after_start' : c.phase, refund: refund.isNegative() ? Money.zero(c.paidIn.currency) : refund };
}
