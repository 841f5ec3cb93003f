import { PolicyRules } from '@modules/policies/policy-rules';

/** National-style rules for pure rule tests; each test states the price caps it is about. */
export function policyRules(overrides: Partial<PolicyRules> = {}): PolicyRules {
  return {
    maxPrepaidLessons: 60,
    maxPrepaidMonths: 3,
    earliestCollectionMonthsBeforeStart: 1,
    maxSinglePaymentNonSubject: '5000.00',
    priceMarkupPercent: 10,
    coolingOffDays: 7,
    deemedConfirmationWorkingDays: 15,
    refundResponseWorkingDays: 5,
    refundDeadlineBeforeStartDays: 5,
    refundDeadlineAfterStartDays: 15,
    releaseCadence: { kind: 'per_lesson' },
    riskReserveMonths: 3,
    alerts: { balanceFloor: '300000.00', newInstitutionBalanceFloor: '100000.00', dailyOutflow: '1000000.00', weeklyOutflow: '2000000.00', singleMovementPercent: 10 },
    priceCaps: [],
    ...overrides,
  };
}
