/** A whole percentage (10 = 10 %). Never money: amounts are decimal strings. */
export type Percent = number;

/** The rules a jurisdiction sets (see the rules table in the domain guide). Amounts are decimal strings. */
export interface PriceCap {
  category: 'subject' | 'non_subject';
  classSizeBand: 'small' | 'medium' | 'large';
  /** Government guide price per class hour. */
  maxPricePerHour: string;
}

export type ReleaseCadence =
  | { kind: 'per_lesson' }
  | { kind: 'weekly'; paymentDelayDays: number }
  | { kind: 'tranches'; tranches: { atFraction: string; percent: Percent }[] }
  | { kind: 'after_completion'; workingDays: number }
  /**
   * Scheduled bank deduction (银行定期划扣): the contract's price goes to the institution period by
   * period (deductions module). Never a policy's `releaseCadence`: a contract gets it at signing when
   * the policy's `periodicRelease` names its course's kind; its lessons then release nothing.
   */
  | { kind: 'periodic'; frequency: 'monthly' | 'weekly' };

export interface InstalmentDebitRules {
  /** Days before a debit the payer is told. */
  preNotificationDays: number;
  /** Debits tried again after a failure, before the instalment fails. */
  retries: number;
  /** Days between a failed debit and the next try. */
  retryDelayDays: number;
}

export const DEFAULT_INSTALMENT_DEBITS: InstalmentDebitRules = { preNotificationDays: 3, retries: 2, retryDelayDays: 3 };

/** Which courses a jurisdiction releases on a schedule instead of per lesson, and how often. */
export interface PeriodicRelease {
  courseKinds: ('time_based' | 'lesson_pack')[];
  frequency: 'monthly' | 'weekly';
}

export interface PolicyRules {
  maxPrepaidLessons: number;
  maxPrepaidMonths: number;
  earliestCollectionMonthsBeforeStart: number;
  maxSinglePaymentNonSubject: string;
  priceCaps: PriceCap[];
  priceMarkupPercent: Percent;
  coolingOffDays: number;
  deemedConfirmationWorkingDays: number;
  refundResponseWorkingDays: number;
  refundDeadlineBeforeStartDays: number;
  refundDeadlineAfterStartDays: number;
  /** Days a suspense item may wait for its resolution before regulators are alerted (default 15 when a version predates it). */
  suspenseResolutionDays?: number;
  /** Months of notice before a planned closure of an institution (default 1 when a version predates it). */
  closureNoticeMonths?: number;
  releaseCadence: ReleaseCadence;
  /** Courses released on a schedule (optional: a version without it releases every course by `releaseCadence`). */
  periodicRelease?: PeriodicRelease;
  /** Instalment debits under a payer's mandate (optional: defaults 3 days' notice, 2 retries 3 days apart). */
  instalmentDebits?: InstalmentDebitRules;
  riskReserveMonths: number;
  alerts: {
    balanceFloor: string;
    newInstitutionBalanceFloor: string;
    dailyOutflow: string;
    weeklyOutflow: string;
    singleMovementPercent: Percent;
    /** Months after registration during which the lower floor applies (default 12 when a version predates it). */
    newInstitutionMonths?: number;
  };
}

export const NATIONAL_CODE = '000000';

/**
 * Where a district's policy comes from, most specific first: the district itself, its city,
 * its province, then the national default. `310117` → 310117, 310100, 310000, 000000.
 */
export function inheritanceChain(districtCode: string): string[] {
  const chain = [districtCode, `${districtCode.slice(0, 4)}00`, `${districtCode.slice(0, 2)}0000`, NATIONAL_CODE];
  return [...new Set(chain)];
}

/** Fractions a tranche may fall due at (share of the contract's lessons confirmed). */
export const TRANCHE_FRACTIONS = ['1/4', '1/3', '1/2', '2/4', '2/3', '3/4', '1'] as const;

const fractionValue = (f: string) => {
  const [num, den] = f.split('/').map(Number);
  return num / (den || 1);
};

const isWhole = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/**
 * Everything wrong with a release cadence, as sentences (empty when it is sound). Each kind has
 * exactly its own parameter; tranches fall due at increasing fractions ending with all lessons
 * ("1"), and their percentages (whole, positive) add up to 100, so the parts always sum to the price.
 */
export function releaseCadenceProblems(cadence: Record<string, unknown>): string[] {
  const own: Record<string, string | null> = { per_lesson: null, weekly: 'paymentDelayDays', tranches: 'tranches', after_completion: 'workingDays' };
  const kind = String(cadence.kind);
  if (!(kind in own)) return [`kind must be one of ${Object.keys(own).join(', ')}`];
  const problems = Object.keys(cadence)
    .filter((k) => k !== 'kind' && k !== own[kind] && cadence[k] !== undefined)
    .map((k) => `${k} does not apply to a ${kind} cadence`);
  if (kind === 'weekly' && !isWhole(cadence.paymentDelayDays, 0, 60)) problems.push('paymentDelayDays (0-60 days) is required for a weekly cadence');
  if (kind === 'after_completion' && !isWhole(cadence.workingDays, 0, 120)) problems.push('workingDays (0-120) is required for an after_completion cadence');
  if (kind === 'tranches') problems.push(...trancheProblems(cadence.tranches));
  return problems;
}

function trancheProblems(tranches: unknown): string[] {
  if (!Array.isArray(tranches) || tranches.length === 0 || tranches.length > 10) return ['tranches (1 to 10) are required for a tranches cadence'];
  const problems: string[] = [];
  let previous = 0;
  let total = 0;
  tranches.forEach((t: { atFraction?: unknown; percent?: unknown }, i) => {
    if (!t || typeof t !== 'object' || !(TRANCHE_FRACTIONS as readonly unknown[]).includes(t.atFraction)) {
      problems.push(`tranches.${i}.atFraction must be one of ${TRANCHE_FRACTIONS.join(', ')}`);
      return;
    }
    const at = fractionValue(t.atFraction as string);
    if (at <= previous) problems.push(`tranches.${i}.atFraction must come after the previous tranche's`);
    previous = at;
    if (!isWhole(t.percent, 1, 100)) problems.push(`tranches.${i}.percent must be a whole number from 1 to 100`);
    else total += t.percent as number;
  });
  if (previous !== 1) problems.push('the last tranche must fall due when all lessons are confirmed (atFraction "1")');
  if (problems.length === 0 && total !== 100) problems.push(`tranche percentages must add up to 100 (they add up to ${total})`);
  return problems;
}
