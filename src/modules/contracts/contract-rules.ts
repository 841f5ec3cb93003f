import Decimal from 'decimal.js';
import { addDaysTo, addMonths } from '@common/dates';
import { Money } from '@common/money/money';
import { PolicyRules, ReleaseCadence } from '@modules/policies/policy-rules';

export interface ContractTerms {
  category: 'subject' | 'non_subject';
  classSizeBand: 'small' | 'medium' | 'large';
  lessonMinutes: number;
  lessons: number;
  startDate: string;
  /** Last day of service, inclusive. */
  endDate: string;
  total: Money;
  /** The day the contract is signed and collection happens. */
  today: string;
}

export interface Violation {
  code: string;
  message: string;
  limit: string | number;
  value: string | number;
}

/**
 * Every rule of the policy a contract breaks, each with its limit and the value found. The
 * boundaries are exact: 60 lessons pass and 61 fail; a period of three calendar months passes
 * and one more day fails; 5,000.00 passes and 5,000.01 fails.
 */
export function policyViolations(rules: PolicyRules, t: ContractTerms): Violation[] {
  const v: Violation[] = [];
  if (t.lessons > rules.maxPrepaidLessons) {
    v.push({ code: 'PREPAID_LESSONS_EXCEEDED', message: `At most ${rules.maxPrepaidLessons} lessons may be paid in advance`, limit: rules.maxPrepaidLessons, value: t.lessons });
  }
  // Three calendar months from 1 December end on 28/29 February (inclusive).
  const latestEnd = addDaysTo(addMonths(t.startDate, rules.maxPrepaidMonths), -1);
  if (t.endDate > latestEnd) {
    v.push({ code: 'PREPAID_PERIOD_EXCEEDED', message: `A prepaid period may cover at most ${rules.maxPrepaidMonths} months`, limit: latestEnd, value: t.endDate });
  }
  const earliestCollection = addMonths(t.startDate, -rules.earliestCollectionMonthsBeforeStart);
  if (t.today < earliestCollection) {
    v.push({ code: 'COLLECTION_TOO_EARLY', message: `Fees may be collected from ${earliestCollection} on`, limit: earliestCollection, value: t.today });
  }
  const cap = Money.parse(rules.maxSinglePaymentNonSubject);
  if (t.category === 'non_subject' && t.total.gt(cap)) {
    v.push({ code: 'SINGLE_PAYMENT_EXCEEDED', message: `A single payment for non-subject training is at most ${cap}`, limit: cap.toString(), value: t.total.toString() });
  }
  const priceCap = rules.priceCaps.find((c) => c.category === t.category && c.classSizeBand === t.classSizeBand);
  if (priceCap) {
    const hours = new Decimal(t.lessonMinutes).div(60);
    const perHour = new Decimal(t.total.toString()).div(t.lessons).div(hours);
    const max = new Decimal(priceCap.maxPricePerHour).mul(new Decimal(100 + rules.priceMarkupPercent).div(100));
    if (perHour.gt(max)) {
      v.push({
        code: 'PRICE_CAP_EXCEEDED',
        message: `The price per class hour may be at most the guide price ${priceCap.maxPricePerHour} + ${rules.priceMarkupPercent} %`,
        limit: max.toFixed(2),
        value: perHour.toDecimalPlaces(2, Decimal.ROUND_UP).toFixed(2),
      });
    }
  }
  return v;
}

/**
 * The remainder rule, once: the price of the next lesson of a contract of `lessons` lessons
 * for `total`, when `consumedCount` lessons worth `consumedAmount` are already consumed. Every
 * lesson is the total divided by the number of lessons, rounded down to the currency's minor
 * unit; the last remaining lesson takes whatever is left, so the lessons always add up to the
 * total exactly (a withdrawn lesson gives its amount back). 48 lessons for 11,111.11: 47 ×
 * 231.48 and 231.55.
 */
export function lessonAmount(total: Money, lessons: number, consumedCount: number, consumedAmount: Money): Money {
  if (!Number.isInteger(lessons) || lessons < 1) throw new Error(`A contract has at least one lesson, got ${lessons}`);
  if (!Number.isInteger(consumedCount) || consumedCount < 0 || consumedCount >= lessons) throw new Error(`No lesson left: ${consumedCount} of ${lessons} consumed`);
  if (consumedCount === lessons - 1) return total.minus(consumedAmount);
  return Money.fromMinor(total.toMinor() / BigInt(lessons), total.currency);
}

/** The allocation shown on a contract: the regular lesson price and the last one's. */
export function lessonAllocation(total: Money, lessons: number): { count: number; regular: string; last: string } {
  const regular = lessonAmount(total, lessons, 0, Money.zero(total.currency));
  const before = Money.fromMinor(regular.toMinor() * BigInt(lessons - 1), total.currency);
  return { count: lessons, regular: regular.toString(), last: lessonAmount(total, lessons, lessons - 1, before).toString() };
}

/**
 * The release cadence a contract gets at signing (a normal signing and a closure's transfer alike):
 * periodic release when the policy's `periodicRelease` names the course's kind, else the policy's cadence.
 */
export function releaseCadenceFor(rules: PolicyRules, courseKind: string): ReleaseCadence {
  const periodic = rules.periodicRelease;
  return periodic && (periodic.courseKinds as string[]).includes(courseKind) ? { kind: 'periodic', frequency: periodic.frequency } : rules.releaseCadence;
}
