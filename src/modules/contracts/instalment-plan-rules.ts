import { addDaysTo, addMonths } from '@common/dates';
import { Money } from '@common/money/money';
import { PolicyRules } from '@modules/policies/policy-rules';
import { Violation } from './contract-rules';

/** One instalment of a plan as signed: the part of the course it pays for and when it is debited. */
export interface PlannedInstalment {
  coversFrom: string;
  /** Inclusive. */
  coversTo: string;
  lessons: number;
  amount: Money;
  collectionDate: string;
}

/**
 * The prepaid caps a contract sold in instalments must meet per instalment instead of as a
 * whole (the policy's rule numbers: prepay window at most `maxPrepaidMonths` months or
 * `maxPrepaidLessons` lessons, collection no earlier than `earliestCollectionMonthsBeforeStart`
 * months before the instalment's period, a single payment at most `maxSinglePaymentNonSubject` for
 * non-subject training). The plan is whole: its instalments follow each other without gap or
 * overlap from the start to the end of the contract, their lessons add up to the contract's and
 * their amounts to its price exactly; each is collected between the signing day and the first
 * day of its period. Boundaries are exact, as for contracts: 3 calendar months (1 December to
 * 28 February) pass and one more day fails; 60 lessons pass, 61 fail; 5,000.00 passes, 5,000.01 fails;
 * collected exactly one month before its period passes, a day earlier fails.
 */
export function instalmentPlanViolations(
  rules: PolicyRules,
  c: { category: 'subject' | 'non_subject'; lessons: number; startDate: string; endDate: string; total: Money; today: string },
  plan: PlannedInstalment[],
): Violation[] {
  const v: Violation[] = [];
  const at = (i: number, code: string, message: string, limit: string | number, value: string | number) => v.push({ code, message: `Instalment ${i + 1}: ${message}`, limit, value });
  if (plan.length === 0) return [{ code: 'INSTALMENT_PLAN_EMPTY', message: 'An instalment plan has at least one instalment', limit: 1, value: 0 }];
  const cap = Money.parse(rules.maxSinglePaymentNonSubject);
  let expectedFrom = c.startDate;
  let lessons = 0;
  let total = Money.zero(c.total.currency);
  plan.forEach((p, i) => {
    if (p.coversFrom !== expectedFrom) at(i, 'INSTALMENT_PLAN_GAP', `its period must start on ${expectedFrom}`, expectedFrom, p.coversFrom);
    if (p.coversTo < p.coversFrom) at(i, 'INSTALMENT_PLAN_GAP', 'its period ends before it starts', p.coversFrom, p.coversTo);
    expectedFrom = addDaysTo(p.coversTo, 1);
    if (p.lessons > rules.maxPrepaidLessons) at(i, 'PREPAID_LESSONS_EXCEEDED', `at most ${rules.maxPrepaidLessons} lessons per instalment`, rules.maxPrepaidLessons, p.lessons);
    const latestEnd = addDaysTo(addMonths(p.coversFrom, rules.maxPrepaidMonths), -1);
    if (p.coversTo > latestEnd) at(i, 'PREPAID_PERIOD_EXCEEDED', `an instalment covers at most ${rules.maxPrepaidMonths} months`, latestEnd, p.coversTo);
    const earliest = addMonths(p.coversFrom, -rules.earliestCollectionMonthsBeforeStart);
    if (p.collectionDate < earliest) at(i, 'COLLECTION_TOO_EARLY', `collected from ${earliest} on`, earliest, p.collectionDate);
    if (p.collectionDate > p.coversFrom) at(i, 'COLLECTION_TOO_LATE', 'collected at the latest on the first day of its period', p.coversFrom, p.collectionDate);
    if (p.collectionDate < c.today) at(i, 'COLLECTION_IN_PAST', 'collected today or later', c.today, p.collectionDate);
    if (!p.amount.isPositive()) at(i, 'INVALID_INSTALMENT_AMOUNT', 'its amount must be positive', '0.01', p.amount.toString());
    if (c.category === 'non_subject' && p.amount.gt(cap)) at(i, 'SINGLE_PAYMENT_EXCEEDED', `a single payment for non-subject training is at most ${cap}`, cap.toString(), p.amount.toString());
    lessons += p.lessons;
    total = total.plus(p.amount);
  });
  if (expectedFrom !== addDaysTo(c.endDate, 1)) v.push({ code: 'INSTALMENT_PLAN_GAP', message: `The instalments must cover the contract to its end ${c.endDate}`, limit: c.endDate, value: addDaysTo(expectedFrom, -1) });
  if (lessons !== c.lessons) v.push({ code: 'INSTALMENT_PLAN_LESSONS', message: `The instalments' lessons must add up to the contract's ${c.lessons}`, limit: c.lessons, value: lessons });
  if (!total.eq(c.total)) v.push({ code: 'INSTALMENT_PLAN_TOTAL', message: `The instalments must add up to the price ${c.total} exactly`, limit: c.total.toString(), value: total.toString() });
  return v;
}

/** The whole-contract caps an instalment plan replaces (they are checked per instalment instead). */
export const CAPS_CHECKED_PER_INSTALMENT = ['PREPAID_LESSONS_EXCEEDED', 'PREPAID_PERIOD_EXCEEDED', 'COLLECTION_TOO_EARLY', 'SINGLE_PAYMENT_EXCEEDED'];
