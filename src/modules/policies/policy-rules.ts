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
  | { kind: 'after_completion'; workingDays: number };

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
  releaseCadence: ReleaseCadence;
  riskReserveMonths: number;
  alerts: {
    balanceFloor: string;
    newInstitutionBalanceFloor: string;
    dailyOutflow: string;
    weeklyOutflow: string;
    singleMovementPercent: Percent;
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
